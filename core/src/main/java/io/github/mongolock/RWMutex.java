package io.github.mongolock;

import com.mongodb.client.MongoCollection;
import io.github.mongolock.internal.engine.LockEngine;
import io.github.mongolock.internal.engine.LockFailure;
import io.github.mongolock.internal.engine.LossListener;
import io.github.mongolock.internal.engine.ModeRule;
import io.github.mongolock.internal.engine.Wait;
import io.github.mongolock.internal.lease.LeaseKeeper;
import io.github.mongolock.internal.store.LockDocument;
import io.github.mongolock.internal.store.LockProtocol;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiPredicate;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A distributed reader/writer lock stored in MongoDB: a Java port of mongo-lock-node's {@code
 * RWMutex} that reads and writes the very same document, so Node, Go and Java services can share
 * one lock collection.
 *
 * <pre>
 * { lockID: "lock_1", writer: "client_1" | "", readers: ["client_2", ...], expiresAt?: ISODate,
 *   holders: [{ c: "client_1", s: "&lt;session&gt;" }],              // leases (Node ignores them)
 *   leases: { "&lt;session&gt;": { at: ISODate(server), ms: 30000 } }, fence?: 17 }
 * </pre>
 *
 * <h2>Rules</h2>
 *
 * <ol>
 *   <li>The write lock is granted when there are no readers and the writer is empty or this client;
 *       the read lock when there is no writer (or the writer is this client). The last holder's
 *       release deletes the document.
 *   <li>Re-entry is counted per thread: a thread that acquired twice releases twice. (The seed
 *       released on the first unlock.) Threads of one JVM exclude each other even when they share a
 *       client ID; threads of one client that read share the client's one entry in {@code readers}.
 *   <li>Downgrade is allowed: the writing thread may take the read lock, and keeps it after
 *       releasing the write lock. Upgrade is refused: a thread holding only the read lock that asks
 *       for the write lock gets a {@link LockUpgradeException} at once, never a deadlock.
 *   <li>Writer preference: a waiting writer marks the lock ({@code writerWaiting}, stamped by the
 *       server's clock) and new readers of other clients wait behind it; the mark lapses after
 *       {@code writerWaitingTtl} if its writer stops refreshing it (a crashed waiter). Clients
 *       already reading may re-enter. mongo-lock-node clients do not honour the mark.
 *   <li>Expiry: a lock whose {@code expiresAt} has passed (server clock) is free for this library's
 *       acquire, without waiting for MongoDB's TTL monitor.
 *   <li>Leases: every holder of this library (the writer and each reader) has a lease of {@code
 *       leaseTime}, stamped with the server's clock by the acquire itself and renewed every {@code
 *       renewInterval} by the process's one heartbeat thread, with one command per lock collection
 *       for all the locks the process holds. A waiting client evicts a holder whose lease has
 *       expired by the server's clock ({@code $$NOW}), in a conditional update that fails if the
 *       holder renewed meanwhile, then acquires. Holders without a lease (mongo-lock-node clients)
 *       never expire, as in the seed. MongoDB's TTL monitor plays no part.
 *   <li>Lost locks: a hold whose lease could not be renewed in time (MongoDB unreachable, process
 *       paused) or that was evicted is lost: {@link LockLostListener}s are told, {@link #isHeld()}
 *       and the handle's {@link LockHandle#isHeld()} answer false, and its unlock throws {@link
 *       LockLostException} (while still releasing it locally). A running holder is told no later
 *       than the server could consider the lease expired; a paused JVM only when it resumes, which
 *       is what fencing tokens are for.
 *   <li>Fencing: {@link #fencingToken()} gives the write hold a token greater than every token
 *       issued before for the lock; the protected resource refuses writes with a smaller token than
 *       it has seen, which stops a writer that was paused past its lease.
 *   <li>Durability: every state change uses the options' write concern and every read their read
 *       concern, {@code majority} by default, so an acknowledged acquire survives a failover.
 *   <li>A client ID found on the lock in MongoDB but held by no thread of this JVM (say, left by a
 *       previous run with the same client ID) is treated as held by this client, as in the seed:
 *       acquire re-enters it and unlock releases it.
 *   <li>A lock document with fields of types that neither this library nor mongo-lock-node writes
 *       (written by hand, say {@code writer: 5} or {@code leases: 3}) is not interpreted: an
 *       acquire that such a field keeps from being granted, or that MongoDB refuses because of it,
 *       throws {@link LockAcquisitionException} at once, naming the fields, and leaves the document
 *       as it is. Missing and null fields read as absent.
 * </ol>
 *
 * <p>Every wait is interruptible: an interrupted wait throws {@link LockInterruptedException},
 * leaves nothing held and sets the interrupt flag again. All exceptions extend {@link
 * MongoLockException}. Instances are cheap and thread-safe; a thread's hold belongs to that thread,
 * whichever instance (for the same collection, lock and client) it used.
 */
public final class RWMutex {

  private static final Logger LISTENER_LOG = LoggerFactory.getLogger(LockLostListener.class);

  private final String lockID;
  private final String clientID;
  private final RWMutexOptions options;
  private final LockEngine engine;
  private final LockRuntime runtime;
  private final String namespace;
  private final List<LockLostListener> listeners = new CopyOnWriteArrayList<>();

  /** What the runtime's listeners are told, made on first use (none while nobody listens). */
  private LockEvent writeEvent;

  private LockEvent readEvent;

  /** A mutex with the default options, in the {@linkplain LockRuntime#shared() shared runtime}. */
  public RWMutex(MongoCollection<Document> collection, String lockID, String clientID) {
    this(collection, lockID, clientID, RWMutexOptions.defaults());
  }

  /** A mutex in the {@linkplain LockRuntime#shared() shared runtime}. */
  public RWMutex(
      MongoCollection<Document> collection,
      String lockID,
      String clientID,
      RWMutexOptions options) {
    this(LockRuntime.shared(), collection, lockID, clientID, options);
  }

  /**
   * A mutex in {@code runtime}, whose threads and registries it uses and whose {@link
   * LockRuntime#close()} gives up its holds.
   */
  public RWMutex(
      LockRuntime runtime,
      MongoCollection<Document> collection,
      String lockID,
      String clientID,
      RWMutexOptions options) {
    if (lockID == null || lockID.isBlank()) {
      throw new IllegalArgumentException(
          "lockID must not be null or blank (client: " + abbreviate(clientID) + ")");
    }
    if (clientID == null || clientID.isBlank()) {
      throw new IllegalArgumentException(
          "clientID must not be null or blank (lock: " + abbreviate(lockID) + ")");
    }
    checkID("lockID", lockID, "client", clientID);
    checkID("clientID", clientID, "lock", lockID);
    if (collection == null) {
      throw new IllegalArgumentException(
          "collection must not be null (lock: " + lockID + ", client: " + clientID + ")");
    }
    if (options == null) {
      throw new IllegalArgumentException(
          "options must not be null (lock: " + lockID + ", client: " + clientID + ")");
    }
    if (runtime == null) {
      throw new IllegalArgumentException(
          "runtime must not be null (lock: " + lockID + ", client: " + clientID + ")");
    }
    this.lockID = lockID;
    this.clientID = clientID;
    this.options = options;
    this.runtime = runtime;
    this.namespace = collection.getNamespace().getFullName();
    List<LossListener> engineListeners =
        List.of(
            (id, client, mode, reason) -> {
              LockMode m = apiMode(mode);
              for (LockLostListener listener : listeners) {
                try {
                  listener.lockLost(id, client, m);
                } catch (Throwable e) {
                  // a listener's failure must not stop the others, nor the lease watch
                  AcquireReport.ignore(e);
                  LISTENER_LOG.debug("a LockLostListener of lock {} failed; ignored", id, e);
                }
              }
              runtime.lost(event(m), reason);
            });
    this.engine =
        new LockEngine(
            runtime.engine,
            collection,
            lockID,
            clientID,
            options.engineSettings(),
            engineListeners);
  }

  /**
   * The longest lock or client ID, in bytes of UTF-8 (16 KiB); a longer one is refused with an
   * {@link IllegalArgumentException}.
   *
   * <p>IDs longer than the 1024 bytes an index key could have before MongoDB 4.2 are accepted: 4.2
   * removed that limit where the featureCompatibilityVersion is 4.2 or later (SERVER-36278, "Remove
   * the 1KB index key size limit"; the Index Key Limit entry of
   * https://www.mongodb.com/docs/manual/reference/limits/ applies to earlier versions only), and
   * this library needs MongoDB 4.4 or later. The limit is the library's own: the lock document
   * holds the lockID twice ({@code _id} and {@code lockID}) and each holder's clientID twice, each
   * command several of them, and a document, like a command, must stay below MongoDB's 16 MiB (the
   * BSON Document Size entry of the same page); 16 KiB leaves room for hundreds of readers, and
   * keeps messages that name the lock readable.
   */
  public static final int MAX_ID_BYTES = 16 * 1024;

  /**
   * Refuses an ID that MongoDB cannot store as it is (an unpaired surrogate, which UTF-8 cannot
   * encode, so that two such IDs could name one lock) or that is longer than {@link #MAX_ID_BYTES}.
   */
  private static void checkID(String name, String id, String otherName, String other) {
    long bytes = 0;
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < id.length()
          && Character.isLowSurrogate(id.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            String.format(
                "%s must be valid Unicode: an unpaired surrogate \\u%04X at index %d, which"
                    + " MongoDB's UTF-8 cannot store (%s: %s)",
                name, (int) c, i, otherName, abbreviate(other)));
      } else {
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
    }
    if (bytes > MAX_ID_BYTES) {
      throw new IllegalArgumentException(
          name
              + " must not be longer than "
              + MAX_ID_BYTES
              + " bytes of UTF-8, got "
              + bytes
              + ": "
              + abbreviate(id)
              + " ("
              + otherName
              + ": "
              + abbreviate(other)
              + ")");
    }
  }

  /** An ID for a message about a bad ID: its first 40 chars, with the length when cut. */
  private static String abbreviate(String id) {
    if (id == null || id.length() <= 40) {
      return id;
    }
    int end = Character.isHighSurrogate(id.charAt(39)) ? 39 : 40;
    return id.substring(0, end) + "... (" + id.length() + " chars)";
  }

  public String lockID() {
    return lockID;
  }

  public String clientID() {
    return clientID;
  }

  public RWMutexOptions options() {
    return options;
  }

  // ------------------------------------------------------------------------------- write lock

  /** Acquires the write lock, waiting as long as it takes. */
  public void lock() {
    acquire(LockMode.WRITE, Wait.forever(), null);
  }

  /** One attempt at the write lock, without waiting. */
  public boolean tryLock() {
    return acquire(LockMode.WRITE, Wait.once(), null) != null;
  }

  /** Acquires the write lock, or returns false when {@code timeout} passes first. */
  public boolean tryLock(Duration timeout) {
    return acquire(LockMode.WRITE, waitFor(timeout), null) != null;
  }

  /**
   * Acquires the write lock, or throws {@link LockTimeoutException} when {@code timeout} passes.
   */
  public void lock(Duration timeout) {
    acquire(LockMode.WRITE, waitFor(timeout), timeout);
  }

  /** Releases one write hold of the current thread. */
  public void unlock() {
    release(ModeRule.WRITE, Thread.currentThread(), null);
  }

  // ------------------------------------------------------------------------------- read lock

  /** Acquires the read lock, waiting as long as it takes. */
  public void rLock() {
    acquire(LockMode.READ, Wait.forever(), null);
  }

  public boolean tryRLock() {
    return acquire(LockMode.READ, Wait.once(), null) != null;
  }

  public boolean tryRLock(Duration timeout) {
    return acquire(LockMode.READ, waitFor(timeout), null) != null;
  }

  public void rLock(Duration timeout) {
    acquire(LockMode.READ, waitFor(timeout), timeout);
  }

  /** Releases one read hold of the current thread. */
  public void rUnlock() {
    release(ModeRule.READ, Thread.currentThread(), null);
  }

  // ------------------------------------------------------------------------------- handles

  public LockHandle acquireWrite() {
    Object hold = acquire(LockMode.WRITE, Wait.forever(), null);
    return new Handle(LockMode.WRITE, Thread.currentThread(), hold);
  }

  /** The write lock as a handle for try-with-resources; {@link LockTimeoutException} on timeout. */
  public LockHandle acquireWrite(Duration timeout) {
    Object hold = acquire(LockMode.WRITE, waitFor(timeout), timeout);
    return new Handle(LockMode.WRITE, Thread.currentThread(), hold);
  }

  public LockHandle acquireRead() {
    Object hold = acquire(LockMode.READ, Wait.forever(), null);
    return new Handle(LockMode.READ, Thread.currentThread(), hold);
  }

  public LockHandle acquireRead(Duration timeout) {
    Object hold = acquire(LockMode.READ, waitFor(timeout), timeout);
    return new Handle(LockMode.READ, Thread.currentThread(), hold);
  }

  public boolean isWriteLockedByCurrentThread() {
    return engine.isLockedBy(ModeRule.WRITE, Thread.currentThread());
  }

  public boolean isReadLockedByCurrentThread() {
    return engine.isLockedBy(ModeRule.READ, Thread.currentThread());
  }

  /**
   * True when the current thread holds the write or the read lock and the hold has not been lost.
   * The two {@code is...LockedByCurrentThread} methods also answer false for a lost hold.
   */
  public boolean isHeld() {
    return isWriteLockedByCurrentThread() || isReadLockedByCurrentThread();
  }

  // ------------------------------------------------------------------------------- leases

  /**
   * A fencing token for the current thread's write hold: strictly greater than every token issued
   * before for this lock (by any client of this library, also after the lock document was deleted
   * and recreated, and after a holder was evicted). Issued on first call per hold (two MongoDB
   * commands: a counter increment and a check that the hold is still valid) and cached for the rest
   * of the hold. Pass it with every write to the protected resource, which must reject a token
   * smaller than the greatest it has seen.
   *
   * @throws IllegalStateException when the current thread does not hold the write lock
   * @throws LockLostException when the hold was lost; no token is handed out then
   */
  public long fencingToken() {
    return fencingToken(Thread.currentThread());
  }

  private long fencingToken(Thread owner) {
    try {
      return engine.fencingToken(owner);
    } catch (LockFailure f) {
      throw translate(f);
    }
  }

  /** Tells {@code listener} when a hold acquired through this instance is lost. */
  public void addLockLostListener(LockLostListener listener) {
    if (listener == null) {
      throw new IllegalArgumentException(
          "listener must not be null (lock: " + lockID + ", client: " + clientID + ")");
    }
    listeners.add(listener);
  }

  public void removeLockLostListener(LockLostListener listener) {
    listeners.remove(listener);
  }

  /** Test hook: suspends (or resumes) the heartbeat of this mutex's leases, as if paused. */
  void suspendHeartbeat(boolean suspend) {
    engine.leaseKeeper().suspendRenewals(suspend);
  }

  LeaseKeeper leaseKeeper() {
    return engine.leaseKeeper();
  }

  // ------------------------------------------------------------------------------- admin

  /**
   * The seed's administrative takeover: makes this client the writer where the writer is empty or
   * {@code oldWriter} (readers are left as they are). With {@code upsert}, creates the lock when it
   * does not exist. Fails with {@link LockOverrideException}: {@code error overriding lock <id>:
   * lock already held by another writer}, {@code ...: lock not found}, or the MongoDB error.
   *
   * <p>The takeover is recorded in MongoDB only: no thread of this JVM holds the lock afterwards,
   * and {@link #unlock()} from any thread of this client releases it, as in the seed.
   */
  public void tryOverrideLockWriter(String oldWriter, boolean upsert) {
    String prefix = "error overriding lock " + lockID;
    LockProtocol.Outcome outcome;
    try {
      engine.ensureIndex();
      outcome = engine.overrideWriter(oldWriter == null ? "" : oldWriter, upsert);
    } catch (com.mongodb.MongoException e) {
      throw overrideFailed(e);
    } catch (LockFailure f) {
      // the index set-up failed: its message already names the lock and the client
      String acquiring = "error acquiring lock " + lockID + ": ";
      String m = f.getMessage();
      throw new LockOverrideException(
          prefix + ": " + (m.startsWith(acquiring) ? m.substring(acquiring.length()) : m),
          lockID,
          clientID,
          f.getCause());
    }
    if (outcome == LockProtocol.Outcome.DUPLICATE_KEY) {
      // the lock exists with another writer: the upsert's filter did not match it
      throw new LockOverrideException(
          prefix + ": " + OVERRIDE_WRITER_SWITCHED, lockID, clientID, null);
    }
    if (outcome == LockProtocol.Outcome.NOT_APPLIED) {
      throw new LockOverrideException(
          prefix + (upsert ? ": lock not found, upsert failed" : ": lock not found"),
          lockID,
          clientID,
          null);
    }
  }

  static final String OVERRIDE_WRITER_SWITCHED = "lock already held by another writer";

  /**
   * The seed's conditional takeover: reads the current writer, asks {@code condition(oldWriter,
   * thisClient)}, and if it agrees takes over from that writer. Returns false when the condition
   * refuses, or when there is no lock and {@code upsert} is false. Retries while another writer
   * switches in between; throws {@link LockOverrideException} when {@code timeout} passes.
   */
  public boolean conditionalOverrideLockWriter(
      BiPredicate<String, String> condition, boolean upsert, Duration timeout) {
    if (condition == null) {
      throw new IllegalArgumentException(
          "condition must not be null (lock: " + lockID + ", client: " + clientID + ")");
    }
    Wait wait = waitFor(timeout);
    do {
      LockDocument current;
      try {
        current = engine.read();
      } catch (com.mongodb.MongoException e) {
        throw overrideFailed(e);
      }
      String oldWriter;
      if (current == null) {
        if (!upsert) {
          return false;
        }
        oldWriter = "";
      } else {
        oldWriter = current.writer();
        if (!condition.test(oldWriter, clientID)) {
          return false;
        }
      }
      try {
        tryOverrideLockWriter(oldWriter, upsert);
        return true;
      } catch (LockOverrideException e) {
        if (!e.getMessage().endsWith(OVERRIDE_WRITER_SWITCHED)) {
          throw e;
        }
      }
      sleepQuietly(options.sleepTime());
    } while (!wait.isOver());
    throw new LockOverrideException(
        "error overriding lock " + lockID + ": timeout for overriding lock writer exceeded",
        lockID,
        clientID,
        null);
  }

  // ------------------------------------------------------------------------------- internals

  /** What {@link #acquire} returns for a hold granted while nobody listened. */
  private static final Object UNREPORTED = new Object();

  /**
   * Acquires {@code mode}: returns the hold's report ({@code UNREPORTED} when nobody listens), or
   * null when the wait ran out, unless {@code throwAfter} is given: then {@link
   * LockTimeoutException} naming it. Reports to the runtime's listeners when there are any (when
   * there are none, nothing is made for them).
   */
  private Object acquire(LockMode mode, Wait wait, Duration throwAfter) {
    List<LockListener> watching = runtime.listeners();
    if (!watching.isEmpty()) {
      return acquireReported(watching, mode, wait, throwAfter);
    }
    boolean granted;
    try {
      granted = engine.acquire(engineMode(mode), wait, null);
    } catch (LockFailure f) {
      throw translate(f);
    }
    if (!granted && throwAfter != null) {
      throw timedOut(mode, throwAfter);
    }
    return granted ? UNREPORTED : null;
  }

  private AcquireReport acquireReported(
      List<LockListener> watching, LockMode mode, Wait wait, Duration throwAfter) {
    AcquireReport report = AcquireReport.start(watching, event(mode));
    boolean granted;
    try {
      granted = engine.acquire(engineMode(mode), wait, report);
    } catch (LockFailure f) {
      RuntimeException e = translate(f);
      report.notAcquired(outcomeOf(f.kind()), e);
      throw e;
    } catch (RuntimeException | Error e) {
      report.notAcquired(AcquireOutcome.ERROR, e);
      throw e;
    }
    if (granted) {
      report.acquired();
      return report;
    }
    if (throwAfter == null) {
      report.notAcquired(AcquireOutcome.TIMEOUT, null);
      return null;
    }
    LockTimeoutException e = timedOut(mode, throwAfter);
    report.notAcquired(AcquireOutcome.TIMEOUT, e);
    throw e;
  }

  private static AcquireOutcome outcomeOf(LockFailure.Kind kind) {
    return switch (kind) {
      case INTERRUPTED -> AcquireOutcome.INTERRUPTED;
      case UPGRADE_REFUSED -> AcquireOutcome.UPGRADE;
      default -> AcquireOutcome.ERROR;
    };
  }

  /**
   * Releases {@code owner}'s hold of {@code mode} that {@code acquired} reported (a handle's), or
   * its newest when null, and tells that hold's watches how it ended (they were kept with the hold,
   * so they are told even if the listener was removed since).
   */
  private void release(ModeRule mode, Thread owner, Object acquired) {
    Object hold;
    try {
      hold = engine.release(mode, owner, acquired instanceof AcquireReport ? acquired : null);
    } catch (LockFailure f) {
      RuntimeException e = translate(f);
      if (f.hold() instanceof AcquireReport report) {
        report.ended(f.kind() == LockFailure.Kind.LOST ? HoldEnd.LOST : HoldEnd.RELEASE_FAILED, e);
      }
      throw e;
    }
    if (hold instanceof AcquireReport report) {
      report.ended(HoldEnd.RELEASED, null);
    }
  }

  /** The lock as the runtime's listeners see it in {@code mode}. */
  private LockEvent event(LockMode mode) {
    // racy on purpose: two threads may each make one, and either is as good (a record's fields are
    // final, so both are safely published)
    LockEvent e = mode == LockMode.WRITE ? writeEvent : readEvent;
    if (e == null) {
      String name = options.name() == null ? lockID : options.name();
      e = new LockEvent(name, lockID, clientID, mode, namespace);
      if (mode == LockMode.WRITE) {
        writeEvent = e;
      } else {
        readEvent = e;
      }
    }
    return e;
  }

  private static ModeRule engineMode(LockMode mode) {
    return mode == LockMode.WRITE ? ModeRule.WRITE : ModeRule.READ;
  }

  private static LockMode apiMode(ModeRule mode) {
    return mode.isWrite() ? LockMode.WRITE : LockMode.READ;
  }

  private LockOverrideException overrideFailed(com.mongodb.MongoException e) {
    return new LockOverrideException(
        "error overriding lock " + lockID + ": " + e.getMessage() + " (client: " + clientID + ")",
        lockID,
        clientID,
        e);
  }

  /** The engine's failure as the public exception of its kind. */
  private static RuntimeException translate(LockFailure f) {
    String m = f.getMessage();
    String lock = f.lockID();
    String client = f.clientID();
    Throwable cause = f.getCause();
    return switch (f.kind()) {
      case INTERRUPTED -> new LockInterruptedException(m, lock, client, cause);
      case UPGRADE_REFUSED -> new LockUpgradeException(m, lock, client, cause);
      case LOST -> new LockLostException(m, lock, client, cause);
      case NOT_HELD -> new LockNotHeldException(m, lock, client, cause);
      case ACQUIRE_FAILED -> new LockAcquisitionException(m, lock, client, cause);
      case RELEASE_FAILED -> new LockReleaseException(m, lock, client, cause);
      case ILLEGAL_STATE -> new IllegalStateException(m, cause);
    };
  }

  private Wait waitFor(Duration timeout) {
    if (timeout == null || timeout.isNegative()) {
      throw new IllegalArgumentException(
          "timeout must be zero or positive, got "
              + timeout
              + " (lock: "
              + lockID
              + ", client: "
              + clientID
              + ")");
    }
    return Wait.upTo(timeout);
  }

  private LockTimeoutException timedOut(LockMode mode, Duration timeout) {
    return new LockTimeoutException(
        "timed out after "
            + timeout.toMillis()
            + " ms waiting for the "
            + mode.name().toLowerCase()
            + " lock "
            + lockID
            + " (client: "
            + clientID
            + ")",
        lockID,
        clientID,
        null);
  }

  private void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LockInterruptedException(
          "interrupted while overriding lock " + lockID + " (client: " + clientID + ")",
          lockID,
          clientID,
          e);
    }
  }

  @Override
  public String toString() {
    return "RWMutex{lockID=" + lockID + ", clientID=" + clientID + '}';
  }

  private final class Handle implements LockHandle {
    private final LockMode mode;
    private final Thread owner;

    /** What the acquire reported: this hold's watches, so that close ends this hold's. */
    private final Object acquired;

    private final AtomicBoolean open = new AtomicBoolean(true);

    Handle(LockMode mode, Thread owner, Object acquired) {
      this.mode = mode;
      this.owner = owner;
      this.acquired = acquired;
    }

    @Override
    public String lockID() {
      return lockID;
    }

    @Override
    public String clientID() {
      return clientID;
    }

    @Override
    public LockMode mode() {
      return mode;
    }

    @Override
    public boolean isOpen() {
      return open.get();
    }

    @Override
    public boolean isHeld() {
      return open.get() && engine.isLockedBy(engineMode(mode), owner);
    }

    @Override
    public long fencingToken() {
      if (mode != LockMode.WRITE) {
        throw new IllegalStateException(
            "fencing tokens are issued to writers; this is a read hold of "
                + lockID
                + " by "
                + clientID);
      }
      if (!open.get()) {
        throw new IllegalStateException(
            "the write hold of " + lockID + " by " + clientID + " was closed");
      }
      return RWMutex.this.fencingToken(owner);
    }

    @Override
    public void close() {
      if (open.compareAndSet(true, false)) {
        release(engineMode(mode), owner, acquired);
      }
    }

    @Override
    public String toString() {
      return mode + " hold of " + lockID + " by " + clientID + (isOpen() ? "" : " (closed)");
    }
  }
}
