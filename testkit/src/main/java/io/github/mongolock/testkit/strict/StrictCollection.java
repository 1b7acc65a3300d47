package io.github.mongolock.testkit.strict;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.ArrayFilters;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.aggregation.Expression;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.NoopOplog;
import de.bwaldvogel.mongo.oplog.Oplog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The emulator's in-memory collection with the mongod rules that need the stored documents: what an
 * update would make of them is computed first on copies (in a scratch collection, by the emulator's
 * own update code), checked, and only then done for real. The emulator locks the collection (its
 * monitor) around each write; this class takes the same monitor, and leaves it only for the opt-in
 * {@link UpsertWindow}.
 */
final class StrictCollection extends MemoryCollection {

  /** BSONObjMaxUserSize (src/mongo/bson/util/builder.h): 16 MiB. */
  static final int MAX_USER_SIZE = 16 * 1024 * 1024;

  /** mongod retries while eligible; bounded here so that a broken test cannot spin forever. */
  private static final int MAX_UPSERT_ATTEMPTS = 100;

  private final StrictBackend backend;

  StrictCollection(
      MongoDatabase database,
      String collectionName,
      CollectionOptions options,
      CursorRegistry cursorRegistry,
      StrictBackend backend) {
    super(database, collectionName, options, cursorRegistry);
    this.backend = backend;
  }

  @Override
  public Document updateDocuments(
      Document selector,
      Document update,
      ArrayFilters arrayFilters,
      boolean multi,
      boolean upsert,
      Oplog oplog) {
    for (int attempt = 1; ; attempt++) {
      Document inserting;
      UpsertWindow window = backend.upsertWindow();
      synchronized (this) {
        List<Document> matched = matching(selector, null, multi ? 0 : 1);
        checkUpdate(
            "update",
            matched,
            update,
            scratch ->
                scratch.updateDocuments(
                    selector, update, arrayFilters, multi, false, NoopOplog.get()));
        if (!upsert || !matched.isEmpty()) {
          return super.updateDocuments(selector, update, arrayFilters, multi, upsert, oplog);
        }
        inserting =
            upsertDocument(
                "update",
                scratch -> {
                  scratch.updateDocuments(
                      selector, update, arrayFilters, false, true, NoopOplog.get());
                  return scratch.queryAll().iterator().next();
                });
        if (window == null) {
          try {
            return super.updateDocuments(selector, update, arrayFilters, multi, true, oplog);
          } catch (DuplicateKeyError e) {
            if (!retryable(selector, multi, inserting, attempt)) {
              throw e;
            }
            continue;
          }
        }
      }
      pause(window);
      synchronized (this) {
        try {
          addDocument(inserting);
        } catch (DuplicateKeyError e) {
          if (!retryable(selector, multi, inserting, attempt)) {
            throw e;
          }
          continue;
        }
        oplog.handleInsert(getFullName(), List.of(inserting));
        return new Document("upserted", inserting.get("_id")).append("n", 0).append("nModified", 0);
      }
    }
  }

  @Override
  public Document findAndModify(Document command) {
    Object update = command.get("update");
    if (!(update instanceof Document updateDocument) || Utils.isTrue(command.get("remove"))) {
      return super.findAndModify(command);
    }
    Document selector = (Document) command.getOrDefault("query", new Document());
    Document sort = (Document) command.get("sort");
    boolean upsert = Utils.isTrue(command.get("upsert"));
    // The scratch copies run the emulator's own findAndModify, returning the new document.
    Document returningNew = new Document(command);
    returningNew.put("new", true);
    returningNew.remove("fields");
    for (int attempt = 1; ; attempt++) {
      Document inserting;
      UpsertWindow window = backend.upsertWindow();
      synchronized (this) {
        List<Document> matched = matching(selector, sort, 1);
        checkUpdate(
            "findAndModify",
            matched,
            updateDocument,
            scratch -> scratch.findAndModify(returningNew));
        if (!upsert || !matched.isEmpty()) {
          return super.findAndModify(command);
        }
        inserting =
            upsertDocument(
                "findAndModify",
                scratch -> (Document) scratch.findAndModify(returningNew).get("value"));
        if (window == null) {
          try {
            return super.findAndModify(command);
          } catch (DuplicateKeyError e) {
            if (!retryable(selector, false, inserting, attempt)) {
              throw e;
            }
            continue;
          }
        }
      }
      pause(window);
      synchronized (this) {
        try {
          addDocument(inserting);
        } catch (DuplicateKeyError e) {
          if (!retryable(selector, false, inserting, attempt)) {
            throw e;
          }
          continue;
        }
        // The shape mongod answers an upserting findAndModify with.
        Document lastErrorObject =
            new Document("n", 1)
                .append("updatedExisting", false)
                .append("upserted", inserting.get("_id"));
        Document reply = new Document("lastErrorObject", lastErrorObject);
        reply.put("value", Utils.isTrue(command.get("new")) ? inserting.cloneDeeply() : null);
        Utils.markOkay(reply);
        return reply;
      }
    }
  }

  /**
   * {@code $add} of two dates in a query's {@code $expr}: 16612 "only one date allowed in an $add
   * expression" (ExpressionAdd in src/mongo/db/pipeline/expression.cpp, 4.4 to 8.x; the SBE engine
   * of 5.0+ can answer the same text under 4974202 or 4848404). The emulator adds the milliseconds.
   * mongod prefixes a find's error with its own, version-dependent, executor context; the strict
   * server sends the bare message.
   */
  @Override
  protected boolean documentMatchesQuery(Document document, Document query) {
    Object expr = query.get("$expr");
    if (expr != null) {
      checkAddOfDates(expr, document);
    }
    return super.documentMatchesQuery(document, query);
  }

  private static void checkAddOfDates(Object expression, Document document) {
    if (expression instanceof Document operators) {
      for (Map.Entry<String, Object> entry : operators.entrySet()) {
        if (entry.getKey().equals("$add") && entry.getValue() instanceof Collection<?> terms) {
          int dates = 0;
          for (Object term : terms) {
            if (Expression.evaluateDocument(term, document) instanceof Instant) {
              dates++;
            }
          }
          if (dates > 1) {
            throw new MongoServerError(
                16612, "Location16612", "only one date allowed in an $add expression");
          }
        }
        checkAddOfDates(entry.getValue(), document);
      }
    } else if (expression instanceof Collection<?> terms) {
      for (Object term : terms) {
        checkAddOfDates(term, document);
      }
    }
  }

  private List<Document> matching(Document selector, Document sort, int limit) {
    List<Document> matched = new ArrayList<>();
    queryDocuments(selector, sort, 0, limit, 0, null).forEach(matched::add);
    return matched;
  }

  /**
   * Rules that depend on the documents an update meets. Errors found while applying an update to a
   * document are execution errors, which mongod 8.0 sends under "Plan executor error during update
   * :: caused by :: " (PlanExecutor::executeWrite in src/mongo/db/query/plan_executor.cpp;
   * findAndModify's "Plan executor error during findAndModify" since 5.0, write_ops_exec.cpp); 4.4
   * to 7.0 send an update's message bare.
   */
  private void checkUpdate(
      String operation,
      List<Document> matched,
      Document update,
      java.util.function.Consumer<MemoryCollection> apply) {
    if (matched.isEmpty()) {
      return;
    }
    for (Document document : matched) {
      checkArrayOperators(operation, document, update);
    }
    if (!mayOutgrow(matched, update)) {
      return;
    }
    MemoryCollection scratch = scratch();
    matched.forEach(document -> scratch.addDocument(document.cloneDeeply()));
    apply.accept(scratch);
    for (Document result : scratch.queryAll()) {
      if (BsonText.size(result) > MAX_USER_SIZE) {
        // 10334 BSONObjectTooLarge in 8.x (src/mongo/db/update/update_util.cpp); 17419 with the
        // same text in 4.4 to 7.x (src/mongo/db/exec/update_stage.cpp).
        throw executionError(
            operation,
            10334,
            "BSONObjectTooLarge",
            "Resulting document after update is larger than " + MAX_USER_SIZE);
      }
    }
  }

  /** The document an upsert would insert, computed by the emulator on an empty scratch copy. */
  private Document upsertDocument(
      String operation, java.util.function.Function<MemoryCollection, Document> apply) {
    Document inserting = apply.apply(scratch());
    if (BsonText.size(inserting) > MAX_USER_SIZE) {
      // 17420 (src/mongo/db/exec/upsert_stage.cpp, 4.4 to 8.0; 7655103 in newer code).
      throw executionError(
          operation, 17420, "Location17420", "Document to upsert is larger than " + MAX_USER_SIZE);
    }
    return inserting;
  }

  private MemoryCollection scratch() {
    return new MemoryCollection(
        getDatabase(), getCollectionName(), CollectionOptions.withDefaults(), cursorRegistry);
  }

  /**
   * Whether the result could pass 16 MiB. Each field an update writes grows the document by at most
   * its encoded size; positional paths ($, $[], $[id]) can write a value many times, so those are
   * always computed.
   */
  private static boolean mayOutgrow(List<Document> matched, Document update) {
    int updateSize = BsonText.size(update);
    for (Object paths : update.values()) {
      if (paths instanceof Document document
          && document.keySet().stream().anyMatch(path -> path.contains("$"))) {
        return true;
      }
    }
    for (Document document : matched) {
      if (BsonText.size(document) + updateSize + 4096 > MAX_USER_SIZE) {
        return true;
      }
    }
    return false;
  }

  /**
   * $push and $addToSet on a field that exists and is not an array (null included): 2 BadValue. The
   * emulator treats null as missing and makes an array. Messages: PushNode
   * (src/mongo/db/update/push_node.cpp) and AddToSetNode (src/mongo/db/update/addtoset_node.cpp),
   * 4.4 to 8.x; the emulator's own $addToSet refusal used the pre-3.6 code 10141.
   */
  private void checkArrayOperators(String operation, Document document, Document update) {
    for (String operator : List.of("$push", "$addToSet")) {
      if (!(update.get(operator) instanceof Document fields)) {
        continue;
      }
      for (String path : fields.keySet()) {
        if (path.contains("$")) {
          continue; // positional paths: left to the emulator
        }
        Object value = valueAt(document, path);
        if (value instanceof Missing || value instanceof Collection) {
          continue;
        }
        String type = BsonText.typeName(value);
        String message =
            operator.equals("$push")
                ? "The field '"
                    + path
                    + "' must be an array but is of type "
                    + type
                    + " in document {_id: "
                    + BsonText.value(document.get("_id"))
                    + "}"
                : "Cannot apply $addToSet to non-array field. Field named '"
                    + path.substring(path.lastIndexOf('.') + 1)
                    + "' has non-array type "
                    + type;
        throw executionError(operation, 2, "BadValue", message);
      }
    }
  }

  /** The value at a dotted path, or Missing when the path does not lead to a value. */
  private static Object valueAt(Document document, String path) {
    Object current = document;
    for (String part : path.split("\\.")) {
      if (current instanceof Document sub) {
        current = sub.containsKey(part) ? sub.get(part) : Missing.getInstance();
      } else if (current instanceof List<?> list && part.matches("\\d+")) {
        int i = Integer.parseInt(part);
        current = i < list.size() ? list.get(i) : Missing.getInstance();
      } else {
        return Missing.getInstance();
      }
    }
    return current;
  }

  private static MongoServerError executionError(
      String operation, int code, String codeName, String message) {
    return new StrictError(
        code, codeName, "Plan executor error during " + operation + " :: caused by :: " + message);
  }

  private static void pause(UpsertWindow window) {
    try {
      window.pause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * mongod (4.2+) retries an upsert that hit duplicate key 11000 as long as its query is only ANDed
   * equalities on exactly the fields of the unique index that was violated, with the values that
   * collided: shouldRetryDuplicateKeyException, in src/mongo/db/exec/update_stage.cpp (4.4) and
   * src/mongo/db/ops/write_ops_exec.cpp (5.0+), used by update and findAndModify. Its retry runs
   * the whole upsert again, which then finds the document the other writer inserted.
   */
  private boolean retryable(Document selector, boolean multi, Document inserting, int attempt) {
    if (multi || attempt >= MAX_UPSERT_ATTEMPTS) {
      return false;
    }
    Map<String, Object> equalities = new LinkedHashMap<>();
    if (!andedEqualities(selector, equalities)) {
      return false;
    }
    for (Index<Integer> index : getIndexes()) {
      if (!index.isUnique()) {
        continue;
      }
      try {
        index.checkAdd(inserting, this);
      } catch (DuplicateKeyError violated) {
        List<String> keys = index.getKeys().stream().map(IndexKey::getKey).toList();
        if (keys.size() != equalities.size() || !equalities.keySet().containsAll(keys)) {
          return false;
        }
        for (String key : keys) {
          if (!sameValue(equalities.get(key), Utils.getSubdocumentValue(inserting, key))) {
            return false;
          }
        }
        return true;
      }
    }
    return false;
  }

  /**
   * The query's equalities when it is only equalities ANDed together (a top-level field list and
   * $and are both AND once mongod has canonicalised the query); false otherwise.
   */
  private static boolean andedEqualities(Document query, Map<String, Object> equalities) {
    for (Map.Entry<String, Object> entry : query.entrySet()) {
      String key = entry.getKey();
      Object value = entry.getValue();
      if (key.equals("$and") && value instanceof List<?> clauses) {
        for (Object clause : clauses) {
          if (!(clause instanceof Document document) || !andedEqualities(document, equalities)) {
            return false;
          }
        }
        continue;
      }
      if (key.startsWith("$")) {
        return false;
      }
      if (value instanceof Document operators
          && operators.keySet().stream().anyMatch(k -> k.startsWith("$"))) {
        if (!operators.keySet().equals(java.util.Set.of("$eq"))) {
          return false;
        }
        value = operators.get("$eq");
      }
      if (value instanceof Pattern
          || value instanceof BsonRegularExpression
          || equalities.containsKey(key)) {
        return false;
      }
      equalities.put(key, value);
    }
    return true;
  }

  private static boolean sameValue(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return Double.compare(x.doubleValue(), y.doubleValue()) == 0;
    }
    return Objects.equals(a, b);
  }

  /** An error whose message the strict server wrote in full (no further prefix). */
  static final class StrictError extends MongoServerError {
    private static final long serialVersionUID = 1L;

    StrictError(int code, String codeName, String message) {
      super(code, codeName, message);
    }

    @Override
    public boolean shouldPrefixCommandContext() {
      return false;
    }
  }
}
