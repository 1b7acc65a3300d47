package io.github.mongolock;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.result.UpdateResult;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The rules of the lock as atomic MongoDB operations: every state change is one conditional write
 * whose filter says "this change is compatible with the current holders", so there is never a read
 * followed by a write. This class knows nothing about threads or waiting ({@link LockEngine} does).
 *
 * <p>The stored document is mongo-lock-node's, plus optional fields of this library's that Node
 * clients ignore:
 *
 * <pre>
 * {
 *   lockID:    "lock_1",               // unique index
 *   writer:    "client_1" | "",        // "" when nobody writes
 *   readers:   ["client_2", ...],      // client IDs holding the read lock
 *   expiresAt: ISODate(...),           // optional, the seed's absolute expiry
 *   writerWaiting: {                   // optional: a writer of this library is waiting
 *     client: "client_3", at: ISODate(server time), ttlMs: 2000 },
 *   holders: [                         // lease entries of this library's holders (index on holders.s)
 *     { c: "client_1", s: "9f0c...e1" } ],   // client, session of the client's process
 *   leases: {                          // per session: last acquire or renewal, server clock
 *     "9f0c...e1": { at: ISODate(...), ms: 30000 } },
 *   fence: 17                          // optional: the fencing token issued to the current writer
 * }
 * </pre>
 *
 * <p>A holder (writer or reader) with a {@code holders} entry has a lease: it has expired when
 * {@code leases.<s>.at + leases.<s>.ms} is before {@code $$NOW} for every session {@code s} of its
 * entries. A holder without an entry (a mongo-lock-node client, or a writer installed by {@code
 * tryOverrideLockWriter}) has no lease and never expires, as in the seed. An entry whose client is
 * neither the writer nor a reader means nothing; so does a {@code leases} key no entry refers to.
 * Fencing counters live in the same collection, in documents {@code {lockID: {fencing: "lock_1"},
 * token: 17}} that survive the lock document's deletion.
 *
 * <p>Rules, each one {@code updateOne} or {@code deleteOne} (the renewal is {@link LeaseKeeper}'s):
 *
 * <ol>
 *   <li>Write acquire: upsert where there are no readers, the writer is empty or this client, and
 *       no other writer's unexpired mark is present; or where {@code expiresAt} has passed (server
 *       clock). Sets writer, empties readers, clears the mark, makes this client the only lease
 *       entry and stamps its session's lease with {@code $currentDate}. A duplicate key error
 *       (11000) on the upsert means "held by someone else".
 *   <li>Read acquire: upsert where the writer is empty or this client (downgrade), {@code
 *       expiresAt} has not passed, and no other writer's unexpired mark is present (unless this
 *       client is already a reader or the writer); adds this client to readers and its lease entry,
 *       and stamps the lease.
 *   <li>Read takeover: where {@code expiresAt} has passed, replace every holder by this reader.
 *   <li>Eviction (contended path only): where every named session's lease has expired by {@code
 *       $$NOW} and the evicted clients have no entry of another session, pull those sessions'
 *       entries and leases and the clients that had only those from writer and readers. A holder
 *       that renewed meanwhile fails the filter, so it is never evicted.
 *   <li>Write release: delete where this client is the only holder and nobody waits; otherwise set
 *       writer to "" (and drop this client's lease entry unless it still reads).
 *   <li>Read release: delete where this client is the only holder and nobody waits; otherwise pull
 *       this client from readers (and its lease entry unless it still writes).
 *   <li>Fencing token: {@code $inc} the lock's counter document, then stamp the token on the lock
 *       document where this client is still the writer with an unexpired lease of its session; if
 *       that finds nothing the hold was lost and the token is not handed out.
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
  static final String HOLDERS = "holders";
  static final String HOLDER_CLIENT = "c";
  static final String HOLDER_SESSION = "s";
  static final String HOLDER_SESSION_PATH = HOLDERS + "." + HOLDER_SESSION;
  static final String LEASES = "leases";
  static final String FENCE = "fence";
  static final String FENCING_COUNTER = "fencing";
  static final String TOKEN = "token";

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
  private final LeaseKeeper lease;
  private final Document holderEntry;

  /** Rendered filter and update of the acquires, built on first use (they never change). */
  private final Rendered writeAcquire =
      new Rendered(() -> render(writeAcquireFilter(), writeAcquireUpdate()));

  private final Rendered readAcquire =
      new Rendered(() -> render(readAcquireFilter(), readAcquireUpdate()));

  /** A filter and an update rendered once, on first use; a race renders twice, harmlessly. */
  private static final class Rendered {
    private final java.util.function.Supplier<Bson[]> renderer;
    private volatile Bson[] value;

    Rendered(java.util.function.Supplier<Bson[]> renderer) {
      this.renderer = renderer;
    }

    Bson[] get() {
      Bson[] v = value;
      if (v == null) {
        v = renderer.get();
        value = v;
      }
      return v;
    }
  }

  LockStore(
      MongoCollection<Document> collection,
      String lockID,
      String clientID,
      RWMutexOptions options) {
    this.collection =
        collection.withWriteConcern(options.writeConcern()).withReadConcern(options.readConcern());
    this.lockID = lockID;
    this.clientID = clientID;
    this.options = options;
    this.lease = LeaseKeeper.of(this.collection, options);
    this.holderEntry =
        new Document(HOLDER_CLIENT, clientID).append(HOLDER_SESSION, lease.sessionID);
  }

  LeaseKeeper lease() {
    return lease;
  }

  /** The lock collection, with the options' write and read concerns. */
  MongoCollection<Document> collection() {
    return collection;
  }

  /**
   * Creates, once per collection and JVM, the unique index on {@code lockID} and the index on
   * {@code holders.s} that the heartbeat's {@code updateMany} uses. An existing index on the same
   * key is accepted when it does the job (for lockID: unique and not partial); any other index on
   * that key, or one with the same name, is a conflict reported with the collection and index
   * names. Creating an index that exists with the same options is a no-op in MongoDB, so concurrent
   * first uses by several processes are harmless.
   */
  void ensureIndex() {
    if (!options.ensureIndex()) {
      return;
    }
    String ns = collection.getNamespace().getFullName();
    if (INDEXED.contains(ns)) {
      return;
    }
    List<Document> existing;
    try {
      existing = collection.listIndexes().into(new ArrayList<>());
    } catch (MongoException e) {
      throw setupFailed(ns, "cannot list its indexes", e);
    }
    Document lockIndex = indexOn(existing, LOCK_ID);
    if (lockIndex == null) {
      create(ns, existing, LOCK_ID, true);
    } else if (!Boolean.TRUE.equals(lockIndex.get("unique"))
        || lockIndex.containsKey("partialFilterExpression")) {
      throw setupFailed(
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
      create(ns, existing, HOLDER_SESSION_PATH, false);
    }
    INDEXED.add(ns);
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

  private void create(String ns, List<Document> existing, String field, boolean unique) {
    String name = field + "_1";
    for (Document index : existing) {
      if (name.equals(index.get("name"))) {
        throw setupFailed(
            ns,
            "an index named " + name + " already exists with another key: " + index.toJson(),
            null);
      }
    }
    try {
      collection.createIndex(Indexes.ascending(field), new IndexOptions().unique(unique));
    } catch (MongoException e) {
      throw setupFailed(
          ns,
          "cannot create the "
              + (unique ? "unique " : "")
              + "index "
              + name
              + " on "
              + field
              + " (a conflicting index may have been created meanwhile): "
              + e.getMessage(),
          e);
    }
  }

  private LockAcquisitionException setupFailed(String ns, String problem, Throwable cause) {
    return new LockAcquisitionException(
        "error acquiring lock "
            + lockID
            + ": lock collection "
            + ns
            + " cannot be set up: "
            + problem,
        lockID,
        clientID,
        cause);
  }

  // ---------------------------------------------------------------------------------- filters

  private static Bson noReaders() {
    return Filters.or(
        Filters.size(READERS, 0), Filters.exists(READERS, false), Filters.eq(READERS, null));
  }

  /** Nobody writes, or one of {@code clients} does. */
  private static Bson writerEmptyOr(String... clients) {
    List<Bson> any = new ArrayList<>();
    any.add(Filters.exists(WRITER, false));
    any.add(Filters.eq(WRITER, ""));
    any.add(Filters.eq(WRITER, null));
    for (String client : clients) {
      any.add(Filters.eq(WRITER, client));
    }
    return Filters.or(any);
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
                List.of(
                    new Document("$add", List.of("$" + WAITING_AT, "$" + WAITING_TTL)), "$$NOW"))));
  }

  static String leaseAtPath(String session) {
    return LEASES + "." + session + ".at";
  }

  private static String leaseMsPath(String session) {
    return LEASES + "." + session + ".ms";
  }

  private static Document leaseEnd(String session) {
    return new Document("$add", List.of("$" + leaseAtPath(session), "$" + leaseMsPath(session)));
  }

  /** The session's lease on the document has not expired by the server's clock. */
  static Bson leaseAlive(String session) {
    return Filters.expr(new Document("$gte", List.of(leaseEnd(session), "$$NOW")));
  }

  /** The session's lease has expired by the server's clock (a missing lease counts as expired). */
  static Bson leaseExpired(String session) {
    return Filters.expr(new Document("$lt", List.of(leaseEnd(session), "$$NOW")));
  }

  /** Stamps this process's lease on the document with the server's clock. */
  private Bson stampLease() {
    return Updates.combine(
        Updates.set(leaseMsPath(lease.sessionID), options.leaseTime().toMillis()),
        Updates.currentDate(leaseAtPath(lease.sessionID)));
  }

  private Bson ownEntry() {
    return Filters.elemMatch(
        HOLDERS,
        Filters.and(
            Filters.eq(HOLDER_CLIENT, clientID), Filters.eq(HOLDER_SESSION, lease.sessionID)));
  }

  private Bson expiresAtUpdate() {
    return options.expiresAt() == null
        ? Updates.unset(EXPIRES_AT)
        : Updates.set(EXPIRES_AT, Date.from(options.expiresAt()));
  }

  // ---------------------------------------------------------------------------------- acquire

  /** One attempt at the write lock. True when this client is now the writer. */
  boolean tryAcquireWrite() {
    Bson[] rendered = writeAcquire.get();
    return leased(LockMode.WRITE, () -> upsert(rendered[0], rendered[1]));
  }

  private Bson writeAcquireFilter() {
    return Filters.and(
        Filters.eq(LOCK_ID, lockID),
        Filters.or(
            Filters.and(noReaders(), writerEmptyOr(clientID), noOtherWaitingWriter()),
            expired(EXPIRES_AT)));
  }

  private Bson writeAcquireUpdate() {
    return Updates.combine(
        Updates.set(WRITER, clientID),
        Updates.set(READERS, List.of()),
        Updates.unset(WRITER_WAITING),
        Updates.unset(FENCE),
        Updates.set(HOLDERS, List.of(holderEntry)),
        stampLease(),
        expiresAtUpdate());
  }

  /** One attempt at the read lock. True when this client is now a reader. */
  boolean tryAcquireRead() {
    Bson[] rendered = readAcquire.get();
    return leased(LockMode.READ, () -> upsert(rendered[0], rendered[1]));
  }

  private Bson readAcquireFilter() {
    Bson waitingOk =
        options.writerPreference()
            ? Filters.or(
                noOtherWaitingWriter(), Filters.eq(READERS, clientID), Filters.eq(WRITER, clientID))
            : new Document();
    return Filters.and(
        Filters.eq(LOCK_ID, lockID), writerEmptyOr(clientID), notExpired(), waitingOk);
  }

  private Bson readAcquireUpdate() {
    List<Bson> updates = new ArrayList<>();
    updates.add(Updates.addToSet(READERS, clientID));
    updates.add(Updates.setOnInsert(WRITER, ""));
    updates.add(Updates.addToSet(HOLDERS, holderEntry));
    updates.add(stampLease());
    if (options.expiresAt() != null) {
      updates.add(Updates.setOnInsert(EXPIRES_AT, Date.from(options.expiresAt())));
    }
    return Updates.combine(updates);
  }

  /**
   * Renders a filter and an update once, so that the uncontended path of a mutex that is used more
   * than once does not build and encode the same nested filter objects on every call.
   */
  private Bson[] render(Bson filter, Bson update) {
    // Only standard BSON values go in (strings, numbers, dates, lists, documents): the driver's
    // default registry renders them as the collection's would.
    var registry = com.mongodb.MongoClientSettings.getDefaultCodecRegistry();
    return new Bson[] {
      filter.toBsonDocument(Document.class, registry),
      update.toBsonDocument(Document.class, registry)
    };
  }

  /** Runs an acquire and records the lease with the heartbeat when it was granted. */
  private boolean leased(LockMode mode, BooleanSupplier acquire) {
    long sent = lease.acquireStarting();
    boolean granted = false;
    try {
      granted = acquire.getAsBoolean();
      return granted;
    } finally {
      lease.acquireEnded(collection, lockID, holderKey(mode), granted, sent);
    }
  }

  private String holderKey(LockMode mode) {
    return clientID + '\u0000' + mode;
  }

  /** Takes over a lock whose expiresAt has passed, as its only reader. */
  boolean tryTakeOverExpiredForRead() {
    return leased(
        LockMode.READ,
        () ->
            collection
                    .updateOne(
                        Filters.and(Filters.eq(LOCK_ID, lockID), expired(EXPIRES_AT)),
                        Updates.combine(
                            Updates.set(WRITER, ""),
                            Updates.set(READERS, List.of(clientID)),
                            Updates.unset(WRITER_WAITING),
                            Updates.unset(FENCE),
                            Updates.set(HOLDERS, List.of(holderEntry)),
                            stampLease(),
                            expiresAtUpdate()))
                    .getMatchedCount()
                > 0);
  }

  /**
   * Evicts the holders whose leases, as read in {@code observed}, belong only to {@code
   * expiredSessions}, in one conditional update that checks with the server's clock that every one
   * of those leases has expired. True when the document changed.
   */
  boolean evictExpired(Document observed, Set<String> expiredSessions) {
    if (expiredSessions.isEmpty()) {
      return false;
    }
    List<Document> entries = holderEntries(observed);
    Set<String> affected = new LinkedHashSet<>();
    Set<String> keep = new HashSet<>();
    for (Document entry : entries) {
      String client = String.valueOf(entry.get(HOLDER_CLIENT));
      if (expiredSessions.contains(String.valueOf(entry.get(HOLDER_SESSION)))) {
        affected.add(client);
      } else {
        keep.add(client);
      }
    }
    affected.removeAll(keep);
    List<Bson> filter = new ArrayList<>();
    List<Bson> update = new ArrayList<>();
    filter.add(Filters.eq(LOCK_ID, lockID));
    List<String> sessions = new ArrayList<>(expiredSessions);
    for (String session : sessions) {
      filter.add(leaseExpired(session));
      update.add(Updates.unset(LEASES + "." + session));
    }
    update.add(Updates.pull(HOLDERS, new Document(HOLDER_SESSION, new Document("$in", sessions))));
    List<String> evictedReaders = new ArrayList<>();
    Object writer = observed.get(WRITER);
    for (String client : affected) {
      // the client gained no lease of another session since it was read
      filter.add(
          Filters.not(
              Filters.elemMatch(
                  HOLDERS,
                  Filters.and(
                      Filters.eq(HOLDER_CLIENT, client), Filters.nin(HOLDER_SESSION, sessions)))));
      if (client.equals(writer)) {
        filter.add(Filters.eq(WRITER, client));
        update.add(Updates.set(WRITER, ""));
        update.add(Updates.unset(FENCE));
      }
      evictedReaders.add(client);
    }
    if (!evictedReaders.isEmpty()) {
      update.add(Updates.pullAll(READERS, evictedReaders));
    }
    return collection.updateOne(Filters.and(filter), Updates.combine(update)).getModifiedCount()
        > 0;
  }

  /** The lease entries of a stored document. */
  static List<Document> holderEntries(Document doc) {
    List<Document> entries = new ArrayList<>();
    if (doc != null && doc.get(HOLDERS) instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Document d) {
          entries.add(d);
        }
      }
    }
    return entries;
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

  /**
   * Releases the write lock. With {@code keepLease} the client's lease entry stays (it still
   * reads); with {@code ownLeaseOnly} only a document that still has this process's entry for the
   * client is touched (the clean-up of a lost hold, which must not release a successor's hold).
   */
  Released releaseWrite(boolean keepLease, boolean ownLeaseOnly) {
    lease.released(lockID, holderKey(LockMode.WRITE));
    List<Bson> update = new ArrayList<>();
    update.add(Updates.set(WRITER, ""));
    update.add(Updates.unset(FENCE));
    return release(
        Filters.and(Filters.eq(WRITER, clientID), noReaders()),
        Filters.eq(WRITER, clientID),
        update,
        keepLease,
        ownLeaseOnly);
  }

  Released releaseWrite() {
    return releaseWrite(false, false);
  }

  /** Releases the read lock; {@code keepLease} and {@code ownLeaseOnly} as for writes. */
  Released releaseRead(boolean keepLease, boolean ownLeaseOnly) {
    lease.released(lockID, holderKey(LockMode.READ));
    List<Bson> update = new ArrayList<>();
    update.add(Updates.pull(READERS, clientID));
    return release(
        Filters.and(writerEmptyOr(), Filters.size(READERS, 1), Filters.all(READERS, clientID)),
        Filters.eq(READERS, clientID),
        update,
        keepLease,
        ownLeaseOnly);
  }

  /**
   * A release: delete the document where this client is its only holder ({@code onlyHolder}) and no
   * writer waits; otherwise apply {@code update} where this client holds it ({@code holding}), also
   * dropping its lease entry unless {@code keepLease} (it still holds the other mode). With {@code
   * ownLeaseOnly}, only where the entry is this process's.
   */
  private Released release(
      Bson onlyHolder, Bson holding, List<Bson> update, boolean keepLease, boolean ownLeaseOnly) {
    Bson own = ownLeaseOnly ? ownEntry() : new Document();
    Bson lock = Filters.eq(LOCK_ID, lockID);
    if (collection
            .deleteOne(Filters.and(lock, onlyHolder, Filters.exists(WRITER_WAITING, false), own))
            .getDeletedCount()
        > 0) {
      return Released.RELEASED;
    }
    if (!keepLease) {
      update.add(Updates.pull(HOLDERS, new Document(HOLDER_CLIENT, clientID)));
    }
    UpdateResult result =
        collection.updateOne(Filters.and(lock, holding, own), Updates.combine(update));
    return result.getMatchedCount() > 0 ? Released.RELEASED : Released.NOT_HELD;
  }

  Released releaseRead() {
    return releaseRead(false, false);
  }

  // ---------------------------------------------------------------------------------- fencing

  /**
   * Issues a fencing token for this client's write hold: increments the lock's durable counter,
   * then stamps the token on the lock document where this client is still the writer with an
   * unexpired lease of this process (server clock). Returns -1, and hands out nothing, when the
   * hold is gone: a successor's token is then greater, because its acquire came after this check.
   */
  long issueFencingToken() {
    Bson counter = Filters.eq(LOCK_ID, new Document(FENCING_COUNTER, lockID));
    Document after = null;
    for (int tries = 1; after == null; tries++) {
      try {
        after =
            collection.findOneAndUpdate(
                counter,
                Updates.inc(TOKEN, 1L),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
      } catch (MongoException e) {
        if (!isDuplicateKey(e) || tries >= 3) {
          throw e; // 11000: another client created the counter at the same moment; retry
        }
      }
    }
    long token = ((Number) after.get(TOKEN)).longValue();
    UpdateResult stamped =
        collection.updateOne(
            Filters.and(
                Filters.eq(LOCK_ID, lockID),
                Filters.eq(WRITER, clientID),
                ownEntry(),
                leaseAlive(lease.sessionID)),
            Updates.set(FENCE, token));
    return stamped.getMatchedCount() > 0 ? token : -1;
  }

  // ---------------------------------------------------------------------------------- admin

  /** The seed's tryOverrideLockWriter: become the writer where the writer is empty or oldWriter. */
  boolean overrideWriter(String oldWriter, boolean upsert) {
    Bson filter = Filters.and(Filters.eq(LOCK_ID, lockID), writerEmptyOr(oldWriter));
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
