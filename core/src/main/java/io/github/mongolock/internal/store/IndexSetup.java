package io.github.mongolock.internal.store;

import static io.github.mongolock.internal.store.LockDocument.HOLDER_SESSION_PATH;
import static io.github.mongolock.internal.store.LockDocument.LOCK_ID;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.Document;

/**
 * Creates, once per collection and runtime (one per JVM unless the application makes more), the
 * unique index on {@code lockID} and the index on {@code holders.s} that the heartbeat's {@code
 * updateMany} uses. An existing index on the same key is accepted when it does the job (for lockID:
 * unique and not partial); any other index on that key, or one with the same name, is a conflict
 * reported with the collection and index names. Creating an index that exists with the same options
 * is a no-op in MongoDB, so concurrent first uses by several processes are harmless.
 *
 * <p>The check is not repeated while the JVM runs. If the collection is dropped meanwhile, the next
 * insert re-creates it with only the {@code _id} index; the lock stays exclusive among this
 * library's clients because the documents they insert have {@code _id} = {@code lockID} (see {@link
 * LockDocument}). Only mongo-lock-node clients, whose documents have ObjectId ids, then rely on the
 * missing {@code lockID} index until this JVM restarts.
 *
 * <p>Sharded clusters: a unique index must have the shard key as a prefix, so mongod refuses the
 * {@code lockID} index (67 CannotCreateIndex, src/mongo/db/commands/create_indexes.cpp) unless the
 * collection is sharded on {@code {lockID: 1}} (or unsharded); the error says so.
 */
public final class IndexSetup {

  private static final int CANNOT_CREATE_INDEX = 67;
  private static final int UNAUTHORIZED = 13;
  private final Set<String> indexed = ConcurrentHashMap.newKeySet();

  /** The collection cannot serve as a lock collection; the message says why. */
  public static final class SetupException extends RuntimeException {
    SetupException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Ensures both indexes, or throws {@link SetupException} naming the collection and the index. */
  public void ensure(MongoCollection<Document> collection) {
    String ns = collection.getNamespace().getFullName();
    if (indexed.contains(ns)) {
      return;
    }
    List<Document> existing;
    try {
      existing = collection.listIndexes().into(new ArrayList<>());
    } catch (MongoException e) {
      throw failed(ns, "cannot list its indexes: " + e.getMessage(), e);
    } catch (IllegalStateException e) {
      MongoException refused = LockProtocol.refusedByDriver(e);
      throw failed(ns, "cannot list its indexes: " + refused.getMessage(), refused);
    }
    Document lockIndex = indexOn(existing, LOCK_ID);
    if (lockIndex == null) {
      create(collection, ns, existing, LOCK_ID, true);
    } else if (!Boolean.TRUE.equals(lockIndex.get("unique"))
        || lockIndex.containsKey("partialFilterExpression")) {
      throw failed(
          ns,
          "its index "
              + lockIndex.get("name")
              + " on "
              + LOCK_ID
              + " conflicts: the lock needs a unique, non-partial index on "
              + LOCK_ID
              + ", found "
              + lockIndex.toJson()
              + " (drop it, or set ensureIndex(false) and manage indexes yourself)",
          null);
    }
    if (indexOn(existing, HOLDER_SESSION_PATH) == null) {
      create(collection, ns, existing, HOLDER_SESSION_PATH, false);
    }
    indexed.add(ns);
  }

  /** The index whose key is exactly {field: 1} or {field: -1}, or null. */
  private static Document indexOn(List<Document> indexes, String field) {
    for (Document index : indexes) {
      Object key = index.get("key");
      if (key instanceof Document k
          && k.size() == 1
          && k.get(field) instanceof Number n
          && Math.abs(n.doubleValue()) == 1) {
        return index;
      }
    }
    return null;
  }

  private static void create(
      MongoCollection<Document> collection,
      String ns,
      List<Document> existing,
      String field,
      boolean unique) {
    String name = field + "_1";
    for (Document index : existing) {
      if (name.equals(index.get("name"))) {
        throw failed(
            ns,
            "an index named " + name + " already exists with another key: " + index.toJson(),
            null);
      }
    }
    try {
      try {
        collection.createIndex(Indexes.ascending(field), new IndexOptions().unique(unique));
      } catch (IllegalStateException e) {
        throw LockProtocol.refusedByDriver(e);
      }
    } catch (MongoException e) {
      String hint =
          switch (e.getCode()) {
            case CANNOT_CREATE_INDEX ->
                " (on a sharded cluster the lock collection must be"
                    + " unsharded or sharded on {lockID: 1}: a unique index needs the shard key as its"
                    + " prefix)";
            case UNAUTHORIZED ->
                " (the user lacks the createIndex privilege on the collection:"
                    + " grant it, or have the indexes created by a user who has it and set"
                    + " ensureIndex(false))";
            default -> " (a conflicting index may have been created meanwhile)";
          };
      throw failed(
          ns,
          "cannot create the "
              + (unique ? "unique " : "")
              + "index "
              + name
              + " on "
              + field
              + hint
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private static SetupException failed(String ns, String problem, Throwable cause) {
    return new SetupException("lock collection " + ns + " cannot be set up: " + problem, cause);
  }
}
