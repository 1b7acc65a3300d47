package io.github.mongolock;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.result.UpdateResult;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The rules of the lock as atomic MongoDB operations: every state change is one conditional write
 * whose filter says "this change is compatible with the current holders", so there is never a read
 * followed by a write. This class knows nothing about threads or waiting ({@link LockEngine} does).
 *
 * <p>The stored document is mongo-lock-node's, plus one optional field of this library's that Node
 * clients ignore:
 *
 * <pre>
 * {
 *   lockID:    "lock_1",               // unique index
 *   writer:    "client_1" | "",        // "" when nobody writes
 *   readers:   ["client_2", ...],      // client IDs holding the read lock
 *   expiresAt: ISODate(...),           // optional, the seed's absolute expiry
 *   writerWaiting: {                   // optional: a writer of this library is waiting
 *     client: "client_3", at: ISODate(server time), ttlMs: 2000 }
 * }
 * </pre>
 *
 * <p>Rules, each one {@code updateOne} or {@code deleteOne}:
 *
 * <ol>
 *   <li>Write acquire: upsert where there are no readers, the writer is empty or this client, and
 *       no other writer's unexpired mark is present; or where {@code expiresAt} has passed (server
 *       clock). Sets writer, empties readers, clears the mark. A duplicate key error (11000) on the
 *       upsert means "held by someone else".
 *   <li>Read acquire: upsert where the writer is empty or this client (downgrade), {@code
 *       expiresAt} has not passed, and no other writer's unexpired mark is present (unless this
 *       client is already a reader or the writer); adds this client to readers.
 *   <li>Read takeover: where {@code expiresAt} has passed, replace every holder by this reader.
 *   <li>Write release: delete where this client is the only holder and nobody waits; otherwise set
 *       writer to "".
 *   <li>Read release: delete where this client is the only holder and nobody waits; otherwise pull
 *       this client from readers.
 * </ol>
 */
final class LockStore {

  static final String LOCK_ID = "lockID";
  static final String WRITER = "writer";
  static final String READERS = "readers";
  static final String EXPIRES_AT = "expiresAt";
  static final String WRITER_WAITING = "writerWaiting";
  static final String WAITING_CLIENT = WRITER_WAITING + ".client";
  static final String WAITING_AT = WRITER_WAITING + ".at";
  static final String WAITING_TTL = WRITER_WAITING + ".ttlMs";

  private static final int DUPLICATE_KEY = 11000;
  private static final Set<String> INDEXED = ConcurrentHashMap.newKeySet();

  /** What a release found. */
  enum Released {
    RELEASED,
    NOT_HELD
  }

  private final MongoCollection<Document> collection;
  private final String lockID;
  private final String clientID;
  private final RWMutexOptions options;

  LockStore(MongoCollection<Document> collection, String lockID, String clientID,
      RWMutexOptions options) {
    this.collection = collection;
    this.lockID = lockID;
    this.clientID = clientID;
    this.options = options;
  }

  /** Creates the unique index on lockID once per collection and JVM. */
  void ensureIndex() {
    if (!options.ensureIndex()) {
      return;
    }
    String key = collection.getNamespace().getFullName();
    if (INDEXED.contains(key)) {
      return;
    }
    try {
      collection.createIndex(Indexes.ascending(LOCK_ID), new IndexOptions().unique(true));
      INDEXED.add(key);
    } catch (MongoCommandException e) {
      throw new LockAcquisitionException(
          "error acquiring lock " + lockID + ": cannot create the unique index on " + LOCK_ID
              + " of collection " + key + " (an index on " + LOCK_ID
              + " that is not unique, or has other options, may already exist): "
              + e.getMessage(),
          lockID, clientID, e);
    }
  }

  // ---------------------------------------------------------------------------------- filters

  private static Bson noReaders() {
    return Filters.or(
        Filters.size(READERS, 0), Filters.exists(READERS, false), Filters.eq(READERS, null));
  }

  private static Bson writerEmptyOr(String client) {
    return Filters.or(
        Filters.exists(WRITER, false), Filters.eq(WRITER, ""), Filters.eq(WRITER, null),
        Filters.eq(WRITER, client));
  }

  private static Bson expired(String dateField) {
    return Filters.and(
        Filters.type(dateField, "date"),
        Filters.expr(new Document("$lt", List.of("$" + dateField, "$$NOW"))));
  }

  private static Bson notExpired() {
    return Filters.or(
        Filters.not(Filters.type(EXPIRES_AT, "date")),
        Filters.expr(new Document("$gte", List.of("$" + EXPIRES_AT, "$$NOW"))));
  }

  /** No other writer's unexpired waiting mark. */
  private Bson noOtherWaitingWriter() {
    return Filters.or(
        Filters.exists(WRITER_WAITING, false),
        Filters.eq(WAITING_CLIENT, clientID),
        Filters.expr(
            new Document(
                "$lt",
                List.of(new Document("$add", List.of("$" + WAITING_AT, "$" + WAITING_TTL)),
                    "$$NOW"))));
  }

  private Bson expiresAtUpdate() {
    return options.expiresAt() == null
        ? Updates.unset(EXPIRES_AT)
        : Updates.set(EXPIRES_AT, Date.from(options.expiresAt()));
  }

  // ---------------------------------------------------------------------------------- acquire

  /** One attempt at the write lock. True when this client is now the writer. */
  boolean tryAcquireWrite() {
    Bson filter =
        Filters.and(
            Filters.eq(LOCK_ID, lockID),
            Filters.or(
                Filters.and(noReaders(), writerEmptyOr(clientID), noOtherWaitingWriter()),
                expired(EXPIRES_AT)));
    Bson update =
        Updates.combine(
            Updates.set(WRITER, clientID),
            Updates.set(READERS, List.of()),
            Updates.unset(WRITER_WAITING),
            expiresAtUpdate());
    return upsert(filter, update);
  }

  /** One attempt at the read lock. True when this client is now a reader. */
  boolean tryAcquireRead() {
    Bson waitingOk =
        options.writerPreference()
            ? Filters.or(noOtherWaitingWriter(), Filters.eq(READERS, clientID),
                Filters.eq(WRITER, clientID))
            : new Document();
    Bson filter =
        Filters.and(Filters.eq(LOCK_ID, lockID), writerEmptyOr(clientID), notExpired(), waitingOk);
    List<Bson> updates = new ArrayList<>();
    updates.add(Updates.addToSet(READERS, clientID));
    updates.add(Updates.setOnInsert(WRITER, ""));
    if (options.expiresAt() != null) {
      updates.add(Updates.setOnInsert(EXPIRES_AT, Date.from(options.expiresAt())));
    }
    return upsert(filter, Updates.combine(updates));
  }

  /** Takes over a lock whose expiresAt has passed, as its only reader. */
  boolean tryTakeOverExpiredForRead() {
    UpdateResult result =
        collection.updateOne(
            Filters.and(Filters.eq(LOCK_ID, lockID), expired(EXPIRES_AT)),
            Updates.combine(
                Updates.set(WRITER, ""),
                Updates.set(READERS, List.of(clientID)),
                Updates.unset(WRITER_WAITING),
                expiresAtUpdate()));
    return result.getMatchedCount() > 0;
  }

  private boolean upsert(Bson filter, Bson update) {
    try {
      UpdateResult result = collection.updateOne(filter, update, new UpdateOptions().upsert(true));
      return result.getMatchedCount() > 0 || result.getUpsertedId() != null;
    } catch (MongoWriteException e) {
      if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
        return false;
      }
      throw e;
    } catch (MongoCommandException e) {
      if (e.getErrorCode() == DUPLICATE_KEY) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Marks that this client waits for the write lock, so that new readers of other clients wait
   * behind it. Stamped with the server's clock; lapses after writerWaitingTtl unless refreshed.
   */
  void markWriterWaiting() {
    collection.updateOne(
        Filters.and(Filters.eq(LOCK_ID, lockID), noOtherWaitingWriter()),
        Updates.combine(
            Updates.set(WAITING_CLIENT, clientID),
            Updates.set(WAITING_TTL, options.writerWaitingTtl().toMillis()),
            Updates.currentDate(WAITING_AT)));
  }

  /** Removes this client's waiting mark, if it is there. */
  void clearWriterWaiting() {
    collection.updateOne(
        Filters.and(Filters.eq(LOCK_ID, lockID), Filters.eq(WAITING_CLIENT, clientID)),
        Updates.unset(WRITER_WAITING));
  }

  // ---------------------------------------------------------------------------------- release

  Released releaseWrite() {
    if (collection
            .deleteOne(
                Filters.and(
                    Filters.eq(LOCK_ID, lockID),
                    Filters.eq(WRITER, clientID),
                    noReaders(),
                    Filters.exists(WRITER_WAITING, false)))
            .getDeletedCount()
        > 0) {
      return Released.RELEASED;
    }
    UpdateResult result =
        collection.updateOne(
            Filters.and(Filters.eq(LOCK_ID, lockID), Filters.eq(WRITER, clientID)),
            Updates.set(WRITER, ""));
    return result.getMatchedCount() > 0 ? Released.RELEASED : Released.NOT_HELD;
  }

  Released releaseRead() {
    if (collection
            .deleteOne(
                Filters.and(
                    Filters.eq(LOCK_ID, lockID),
                    Filters.or(Filters.exists(WRITER, false), Filters.eq(WRITER, ""),
                        Filters.eq(WRITER, null)),
                    Filters.size(READERS, 1),
                    Filters.all(READERS, clientID),
                    Filters.exists(WRITER_WAITING, false)))
            .getDeletedCount()
        > 0) {
      return Released.RELEASED;
    }
    UpdateResult result =
        collection.updateOne(
            Filters.and(Filters.eq(LOCK_ID, lockID), Filters.eq(READERS, clientID)),
            Updates.pull(READERS, clientID));
    return result.getMatchedCount() > 0 ? Released.RELEASED : Released.NOT_HELD;
  }

  // ---------------------------------------------------------------------------------- admin

  /** The seed's tryOverrideLockWriter: become the writer where the writer is empty or oldWriter. */
  boolean overrideWriter(String oldWriter, boolean upsert) {
    Bson filter =
        Filters.and(
            Filters.eq(LOCK_ID, lockID),
            Filters.or(
                Filters.exists(WRITER, false), Filters.eq(WRITER, ""), Filters.eq(WRITER, null),
                Filters.eq(WRITER, oldWriter)));
    List<Bson> updates = new ArrayList<>();
    updates.add(Updates.set(WRITER, clientID));
    updates.add(Updates.setOnInsert(READERS, List.of()));
    if (options.expiresAt() != null) {
      updates.add(Updates.setOnInsert(EXPIRES_AT, Date.from(options.expiresAt())));
    }
    UpdateResult result =
        collection.updateOne(filter, Updates.combine(updates), new UpdateOptions().upsert(upsert));
    return result.getMatchedCount() > 0 || result.getUpsertedId() != null;
  }

  /** The stored document, or null. */
  Document read() {
    return collection.find(Filters.eq(LOCK_ID, lockID)).first();
  }

  /** True when MongoDB may have applied the operation although no reply arrived. */
  static boolean outcomeUnknown(MongoException e) {
    return e instanceof MongoSocketException
        || e.hasErrorLabel(MongoException.TRANSIENT_TRANSACTION_ERROR_LABEL)
        || e.hasErrorLabel("RetryableWriteError");
  }

  static boolean isDuplicateKey(MongoException e) {
    return e.getCode() == DUPLICATE_KEY
        || (e instanceof MongoWriteException w
            && w.getError().getCategory() == ErrorCategory.DUPLICATE_KEY);
  }
}
