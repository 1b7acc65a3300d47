package io.github.mongolock.testkit.strict;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * The mongod rules that can be judged from a command alone, shared by the strict embedded server
 * (which refuses) and {@link io.github.mongolock.testkit.CommandShapes} (which reports what any
 * server was sent). Each rule cites the mongod source that enforces it.
 */
public final class MongodRules {

  private MongodRules() {}

  private static final Set<String> LOGICAL = Set.of("$and", "$or", "$nor");

  /**
   * Every refusal mongod would give {@code command}, in the order mongod meets them: a command
   * error first (then nothing else runs), else one writeError per refused statement of an update or
   * delete batch. Ordered-batch semantics (stop at the first writeError) are the caller's.
   *
   * @param replicated whether the server is a replica set member (write concern rules differ)
   */
  public static List<Refusal> check(BsonDocument command, boolean replicated) {
    List<Refusal> refusals = new ArrayList<>();
    if (command.isEmpty()) {
      return refusals;
    }
    Optional<Refusal> writeConcern = writeConcern(command, replicated);
    if (writeConcern.isPresent()) {
      refusals.add(writeConcern.get());
      return refusals;
    }
    String name = command.getFirstKey();
    switch (name) {
      case "update" -> {
        List<BsonDocument> statements = statements(command, "updates");
        for (int i = 0; i < statements.size(); i++) {
          BsonDocument statement = statements.get(i);
          boolean upsert = statement.getBoolean("upsert", org.bson.BsonBoolean.FALSE).getValue();
          int index = i;
          filter(statement.get("q"), upsert).ifPresent(r -> refusals.add(r.at(index)));
        }
      }
      case "delete" -> {
        List<BsonDocument> statements = statements(command, "deletes");
        for (int i = 0; i < statements.size(); i++) {
          int index = i;
          filter(statements.get(i).get("q"), false).ifPresent(r -> refusals.add(r.at(index)));
        }
      }
      case "findAndModify", "findandmodify" -> {
        boolean upsert = command.getBoolean("upsert", org.bson.BsonBoolean.FALSE).getValue();
        filter(command.get("query"), upsert).ifPresent(refusals::add);
      }
      case "find" -> filter(command.get("filter"), false).ifPresent(refusals::add);
      case "count", "distinct" -> filter(command.get("query"), false).ifPresent(refusals::add);
      default -> {}
    }
    return refusals;
  }

  private static List<BsonDocument> statements(BsonDocument command, String field) {
    List<BsonDocument> statements = new ArrayList<>();
    BsonValue value = command.get(field);
    if (value != null && value.isArray()) {
      for (BsonValue statement : value.asArray()) {
        if (statement.isDocument()) {
          statements.add(statement.asDocument());
        }
      }
    }
    return statements;
  }

  /**
   * Write concern a standalone cannot satisfy. mongod checks it before it runs the command and
   * answers a command error (uassertStatusOK(extractWriteConcern(...)) in
   * src/mongo/db/service_entry_point_common.cpp); the rule is validateWriteConcern in
   * src/mongo/db/write_concern.cpp (same text in 4.4 to 8.x): a number w > 1, or a w tag other than
   * "majority", on a host that is not a replica set member. w: 0, w: 1 and w: "majority" pass.
   */
  static Optional<Refusal> writeConcern(BsonDocument command, boolean replicated) {
    BsonValue writeConcern = command.get("writeConcern");
    if (replicated || writeConcern == null || !writeConcern.isDocument()) {
      return Optional.empty();
    }
    BsonValue w = writeConcern.asDocument().get("w");
    if (w != null && w.isNumber() && w.asNumber().doubleValue() > 1) {
      return Optional.of(
          new Refusal(
              2,
              "BadValue",
              "cannot use 'w' > 1 when a host is not replicated",
              -1,
              "write concern w > 1 on a standalone"));
    }
    if (w != null && w.isString() && !w.asString().getValue().equals("majority")) {
      return Optional.of(
          new Refusal(
              2,
              "BadValue",
              "cannot use non-majority 'w' mode "
                  + w.asString().getValue()
                  + " when a host is not a member of a replica set",
              -1,
              "write concern tag on a standalone"));
    }
    return Optional.empty();
  }

  /**
   * The first refused {@code $expr} of a query, in document order (mongod parses the query in order
   * and reports the first error).
   *
   * <ul>
   *   <li>{@code $expr} below a field ({@code {a: {$elemMatch: {$expr: ...}}}}): 2 BadValue "$expr
   *       can only be applied to the top-level document", for every query (parseExpr in
   *       src/mongo/db/matcher/expression_parser.cpp checks the level before the allowed features).
   *   <li>{@code $expr} at the top level or under $and/$or/$nor of an upsert's query: 224
   *       QueryFeatureNotAllowed. The upsert parser removes kExpr from the allowed features ({@code
   *       kAllowAllSpecialFeatures & ~kExpr}, so $where, $text, $jsonSchema stay allowed) and
   *       rewrites the parser's "$expr is not allowed in this context" into the message below
   *       (ParsedUpdate::parseQueryToCQ in src/mongo/db/ops/parsed_update.cpp in 4.4 to 7.x; the
   *       same in src/mongo/db/query/write_ops/parsed_update.cpp and canonical_update.cpp in 8.x).
   *       Update and findAndModify share that parser.
   * </ul>
   */
  static Optional<Refusal> filter(BsonValue filter, boolean upsert) {
    if (filter == null || !filter.isDocument()) {
      return Optional.empty();
    }
    return topLevel(filter.asDocument(), upsert);
  }

  private static Optional<Refusal> topLevel(BsonDocument query, boolean upsert) {
    for (var entry : query.entrySet()) {
      String key = entry.getKey();
      BsonValue value = entry.getValue();
      if (key.equals("$expr")) {
        if (upsert) {
          return Optional.of(
              new Refusal(
                  224,
                  "QueryFeatureNotAllowed",
                  "$expr is not allowed in the query predicate for an upsert",
                  -1,
                  "$expr in an upsert query"));
        }
      } else if (LOGICAL.contains(key) && value.isArray()) {
        for (BsonValue clause : value.asArray()) {
          if (clause.isDocument()) {
            Optional<Refusal> found = topLevel(clause.asDocument(), upsert);
            if (found.isPresent()) {
              return found;
            }
          }
        }
      } else if (!key.startsWith("$") && value.isDocument()) {
        Optional<Refusal> found = fieldOperators(value.asDocument());
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<Refusal> fieldOperators(BsonDocument operators) {
    for (var entry : operators.entrySet()) {
      BsonValue value = entry.getValue();
      if (entry.getKey().equals("$elemMatch") && value.isDocument()) {
        Optional<Refusal> found = subDocument(value.asDocument());
        if (found.isPresent()) {
          return found;
        }
      } else if (entry.getKey().equals("$not") && value.isDocument()) {
        Optional<Refusal> found = fieldOperators(value.asDocument());
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }

  /** Inside $elemMatch: a query on the array's elements, where $expr is refused outright. */
  private static Optional<Refusal> subDocument(BsonDocument query) {
    for (var entry : query.entrySet()) {
      String key = entry.getKey();
      BsonValue value = entry.getValue();
      if (key.equals("$expr")) {
        return Optional.of(
            new Refusal(
                2,
                "BadValue",
                "$expr can only be applied to the top-level document",
                -1,
                "$expr below the top level"));
      }
      if (LOGICAL.contains(key) && value.isArray()) {
        for (BsonValue clause : (BsonArray) value) {
          if (clause.isDocument()) {
            Optional<Refusal> found = subDocument(clause.asDocument());
            if (found.isPresent()) {
              return found;
            }
          }
        }
      } else if (!key.startsWith("$") && value.isDocument()) {
        Optional<Refusal> found = fieldOperators(value.asDocument());
        if (found.isPresent()) {
          return found;
        }
      } else if (value.isDocument()) {
        Optional<Refusal> found = fieldOperators(new BsonDocument(key, value));
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }
}
