package io.github.mongolock.aspect;

import com.mongodb.client.MongoCollection;
import io.github.mongolock.LockHandle;
import io.github.mongolock.LockMode;
import io.github.mongolock.LockRuntime;
import io.github.mongolock.RWMutex;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.aspect.internal.LockedBody;
import io.github.mongolock.aspect.internal.MongoLocksAccess;
import java.lang.reflect.UndeclaredThrowableException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.bson.Document;

/**
 * Programmatic locking, for where an annotation does not fit: a lock ID computed in the middle of a
 * method, a lock around part of a method, code outside Spring beans. {@code @EnableMongoLocks}
 * registers one as a bean; the annotations run through the same {@code execute} path, so the client
 * ID, default wait, default lease and rules are the same (see {@link WriteLocked}).
 *
 * <pre>{@code
 * int stock = mongoLocks.withReadLock("sku-" + sku, () -> inventory.count(sku));
 * mongoLocks.withWriteLock("sku-" + sku, Duration.ofSeconds(2), () -> inventory.add(sku, 5));
 * mongoLocks.withWriteLock("report", Duration.ZERO, Duration.ofMinutes(2), () -> report.build());
 * }</pre>
 *
 * <p><b>Leases.</b> Every hold has a lease that this process renews in the background (see {@link
 * RWMutexOptions}); a hold whose lease could not be renewed in time, or that another client
 * evicted, is lost. The lease is the default of the constructor's options (30 s unless configured)
 * or the one a call names. One {@link RWMutexOptions} is built per distinct lease and reused.
 *
 * <p><b>A lock lost while the body runs.</b> Releasing a lost hold throws {@link
 * io.github.mongolock.LockLostException}. If the body returned normally, the caller gets that
 * exception instead of the result: the body's work is done (a transaction inside it has committed)
 * but it may have overlapped with another holder, so the call never looks like a plain success. If
 * the body threw, its exception propagates unchanged and the {@code LockLostException} is attached
 * to it as suppressed. To check while the body runs, use {@link #currentHold()}: {@code isHeld()},
 * and {@code fencingToken()} for resources that must refuse a stale writer.
 *
 * <p><b>Lock names.</b> {@link io.github.mongolock.LockListener}s, metrics and traces tell locks
 * apart by a low-cardinality name ({@link RWMutexOptions.Builder#name(String)}), since lock IDs
 * such as {@code order-4711} carry data. An annotated method's locks are named after its lock ID
 * template ({@code order-#{#order.id}}, placeholders resolved). A programmatic call's lock is named
 * by its lock ID, unless the call goes through a {@link #named(String) named} view:
 *
 * <pre>{@code
 * mongoLocks.named("order").withWriteLock("order-" + order.id(), () -> ship(order));
 * }</pre>
 *
 * <p><b>Runtime.</b> The mutexes run in the {@link LockRuntime} given to the constructor, whose
 * threads renew their leases and whose listeners are told what they do; the constructors without
 * one use {@link LockRuntime#shared()}. {@code @EnableMongoLocks} and the Spring Boot
 * auto-configuration give each application context a runtime of its own, closed with the context.
 */
public final class MongoLocks {

  /** The wait when nothing else is configured. */
  public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(30);

  /** The lease when nothing else is configured: core's default. */
  public static final Duration DEFAULT_LEASE_TIME = RWMutexOptions.defaults().leaseTime();

  static {
    // The annotations' path into execute, which is not public. This and LockedBody are the only
    // internal types MongoLocks names: the plumbing calls the API, not the other way round.
    MongoLocksAccess.register(
        (locks, mode, lockId, name, wait, lease, body) ->
            locks.execute(mode, lockId, name, wait, lease, body));
  }

  /** The holds taken through {@code execute} on this thread, innermost first. */
  private static final ThreadLocal<ArrayDeque<LockHandle>> HOLDS = new ThreadLocal<>();

  /** Null: mutexes are built in {@link LockRuntime#shared()} as it is when they are built. */
  private final LockRuntime runtime;

  private final MongoCollection<Document> collection;
  private final ClientIdProvider clientIds;
  private final Duration waitTimeout;
  private final RWMutexOptions options;

  /** The name of this view's locks; null for the lock ID (or the name {@code options} gives). */
  private final String name;

  // Shared between an instance and its named views: one set of mutexes per application.
  private final Map<OptionsKey, RWMutexOptions> optionsByLeaseAndName;
  static final int MUTEX_CACHE_LIMIT = 4096;
  private final Map<MutexKey, RWMutex> mutexes;

  /**
   * Locks in {@code collection}, with the {@link ClientIdProvider#perProcess()} ID, a 30 s wait and
   * a 30 s lease.
   *
   * @param collection the lock collection
   */
  public MongoLocks(MongoCollection<Document> collection) {
    this(collection, ClientIdProvider.perProcess(), DEFAULT_WAIT_TIMEOUT);
  }

  /**
   * Locks with the default options (a 30 s lease).
   *
   * @param collection the lock collection
   * @param clientIds asked for the client ID on every call
   * @param waitTimeout the wait of calls that do not name one; not negative
   */
  public MongoLocks(
      MongoCollection<Document> collection, ClientIdProvider clientIds, Duration waitTimeout) {
    this(collection, clientIds, waitTimeout, RWMutexOptions.defaults());
  }

  /**
   * Locks with {@code options} (its {@code leaseTime} is the default lease; calls that name another
   * lease use these options with that lease).
   *
   * @param collection the lock collection
   * @param clientIds asked for the client ID on every call
   * @param waitTimeout the wait of calls that do not name one; not negative
   * @param options the options of every mutex, and the default lease
   */
  public MongoLocks(
      MongoCollection<Document> collection,
      ClientIdProvider clientIds,
      Duration waitTimeout,
      RWMutexOptions options) {
    this(null, collection, clientIds, waitTimeout, options, 0);
  }

  /**
   * Locks whose mutexes run in {@code runtime}: its threads renew their leases, its {@link
   * io.github.mongolock.LockListener}s are told what they do, and closing it gives up their holds.
   *
   * @param runtime the runtime of every mutex; the caller closes it
   * @param collection the lock collection
   * @param clientIds asked for the client ID on every call
   * @param waitTimeout the wait of calls that do not name one; not negative
   * @param options the options of every mutex, and the default lease
   */
  public MongoLocks(
      LockRuntime runtime,
      MongoCollection<Document> collection,
      ClientIdProvider clientIds,
      Duration waitTimeout,
      RWMutexOptions options) {
    this(
        Objects.requireNonNull(runtime, "runtime"), collection, clientIds, waitTimeout, options, 0);
  }

  /**
   * The constructors' one body; {@code runtime} null for the shared one (the public constructor
   * that takes a runtime refuses null). The last parameter only keeps the two signatures apart.
   */
  private MongoLocks(
      LockRuntime runtime,
      MongoCollection<Document> collection,
      ClientIdProvider clientIds,
      Duration waitTimeout,
      RWMutexOptions options,
      int body) {
    this.collection = Objects.requireNonNull(collection, "collection");
    this.clientIds = Objects.requireNonNull(clientIds, "clientIds");
    this.waitTimeout = Objects.requireNonNull(waitTimeout, "waitTimeout");
    this.options = Objects.requireNonNull(options, "options");
    this.runtime = runtime;
    this.name = null;
    if (waitTimeout.isNegative()) {
      throw new IllegalArgumentException("waitTimeout is negative: " + waitTimeout);
    }
    this.optionsByLeaseAndName = new ConcurrentHashMap<>();
    this.mutexes = new ConcurrentHashMap<>();
    optionsByLeaseAndName.put(new OptionsKey(options.leaseTime(), options.name()), options);
  }

  /** A named view of {@code locks}: the same settings, mutexes and caches. */
  private MongoLocks(MongoLocks locks, String name) {
    this.runtime = locks.runtime;
    this.collection = locks.collection;
    this.clientIds = locks.clientIds;
    this.waitTimeout = locks.waitTimeout;
    this.options = locks.options;
    this.optionsByLeaseAndName = locks.optionsByLeaseAndName;
    this.mutexes = locks.mutexes;
    this.name = name;
  }

  /**
   * A view of these locks whose calls name their lock {@code name} for listeners, metrics and
   * traces ({@link io.github.mongolock.LockEvent#lockName()}), instead of the lock ID: give locks
   * whose IDs carry data the name of their kind. The view shares everything else with this instance
   * (client ID, defaults, runtime, mutexes); it is cheap to make, or keep one per kind.
   *
   * <pre>{@code
   * private final MongoLocks orderLocks = mongoLocks.named("order");
   * orderLocks.withWriteLock("order-" + order.id(), () -> ship(order));
   * }</pre>
   *
   * @param name a low-cardinality name, not blank
   * @return the named view
   * @throws IllegalArgumentException for a null or blank name
   */
  public MongoLocks named(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "lock name is "
              + (name == null ? "null" : "blank")
              + " (locks in "
              + collection.getNamespace()
              + "): give a low-cardinality name such as \"order\"");
    }
    return new MongoLocks(this, name);
  }

  /**
   * The name this view gives its locks.
   *
   * @return the name given to {@link #named(String)}, or null when the lock ID names each lock
   */
  public String name() {
    return name;
  }

  /**
   * Runs {@code body} holding the write lock {@code lockId}, waiting up to the default timeout.
   *
   * @param <T> what {@code body} returns
   * @param lockId the lock's ID, not blank
   * @param body the work to do while holding the lock
   * @return what {@code body} returned
   * @throws io.github.mongolock.LockTimeoutException when the lock was not granted in time; {@code
   *     body} did not run
   * @throws io.github.mongolock.LockLostException when {@code body} returned but the hold was lost
   *     meanwhile (see the class comment)
   * @throws IllegalArgumentException for a null or blank lock ID
   * @throws io.github.mongolock.LockUpgradeException when this thread holds the read lock but not
   *     the write lock
   */
  public <T> T withWriteLock(String lockId, Supplier<T> body) {
    return withLock(LockMode.WRITE, lockId, waitTimeout, body);
  }

  /**
   * Runs {@code body} holding the write lock {@code lockId}, waiting up to {@code waitTimeout}.
   *
   * @param <T> what {@code body} returns
   * @param lockId the lock's ID, not blank
   * @param waitTimeout how long to wait for the lock; zero makes one attempt
   * @param body the work to do while holding the lock
   * @return what {@code body} returned
   * @throws io.github.mongolock.LockTimeoutException when the lock was not granted in time
   * @see #withWriteLock(String, Supplier)
   */
  public <T> T withWriteLock(String lockId, Duration waitTimeout, Supplier<T> body) {
    return withLock(LockMode.WRITE, lockId, waitTimeout, body);
  }

  /**
   * Runs {@code body} holding the write lock {@code lockId} under a lease of {@code leaseTime},
   * waiting up to {@code waitTimeout}.
   *
   * @param <T> what {@code body} returns
   * @param lockId the lock's ID, not blank
   * @param waitTimeout how long to wait for the lock; zero makes one attempt
   * @param leaseTime the lease of this hold
   * @param body the work to do while holding the lock
   * @return what {@code body} returned
   * @throws io.github.mongolock.LockTimeoutException when the lock was not granted in time
   * @see #withWriteLock(String, Supplier)
   */
  public <T> T withWriteLock(
      String lockId, Duration waitTimeout, Duration leaseTime, Supplier<T> body) {
    Objects.requireNonNull(leaseTime, "leaseTime");
    return withLock(LockMode.WRITE, lockId, waitTimeout, leaseTime, body);
  }

  /**
   * Runs {@code body} holding the read lock {@code lockId}, waiting up to the default timeout.
   *
   * @param <T> what {@code body} returns
   * @param lockId the lock's ID, not blank
   * @param body the work to do while holding the lock
   * @return what {@code body} returned
   * @throws io.github.mongolock.LockTimeoutException when the lock was not granted in time; {@code
   *     body} did not run
   * @throws io.github.mongolock.LockLostException when {@code body} returned but the hold was lost
   *     meanwhile (see the class comment)
   * @throws IllegalArgumentException for a null or blank lock ID
   */
  public <T> T withReadLock(String lockId, Supplier<T> body) {
    return withLock(LockMode.READ, lockId, waitTimeout, body);
  }

  /**
   * Runs {@code body} holding the read lock {@code lockId}, waiting up to {@code waitTimeout}.
   *
   * @param <T> what {@code body} returns
   * @param lockId the lock's ID, not blank
   * @param waitTimeout how long to wait for the lock; zero makes one attempt
   * @param body the work to do while holding the lock
   * @return what {@code body} returned
   * @throws io.github.mongolock.LockTimeoutException when the lock was not granted in time
   * @see #withReadLock(String, Supplier)
   */
  public <T> T withReadLock(String lockId, Duration waitTimeout, Supplier<T> body) {
    return withLock(LockMode.READ, lockId, waitTimeout, body);
  }

  /**
   * Runs {@code body} holding the read lock {@code lockId} under a lease of {@code leaseTime},
   * waiting up to {@code waitTimeout}.
   *
   * @param <T> what {@code body} returns
   * @param lockId the lock's ID, not blank
   * @param waitTimeout how long to wait for the lock; zero makes one attempt
   * @param leaseTime the lease of this hold
   * @param body the work to do while holding the lock
   * @return what {@code body} returned
   * @throws io.github.mongolock.LockTimeoutException when the lock was not granted in time
   * @see #withReadLock(String, Supplier)
   */
  public <T> T withReadLock(
      String lockId, Duration waitTimeout, Duration leaseTime, Supplier<T> body) {
    Objects.requireNonNull(leaseTime, "leaseTime");
    return withLock(LockMode.READ, lockId, waitTimeout, leaseTime, body);
  }

  /**
   * The innermost hold this thread took through {@code MongoLocks}: the lock of the annotated
   * method or {@code with...Lock} body running now (a nested call's hold while it runs). For checks
   * inside the body:
   *
   * <pre>{@code
   * @WriteLocked("ledger")
   * public void post(Entry entry) {
   *   ledger.write(entry, MongoLocks.currentHold().fencingToken());   // the resource checks it
   * }
   * }</pre>
   *
   * {@code isHeld()} answers false once the hold is lost; {@code fencingToken()} then throws {@link
   * io.github.mongolock.LockLostException}, and for a read hold {@link IllegalStateException}. The
   * hold is released when its method or body ends: {@code close()} on it throws {@link
   * UnsupportedOperationException}. Holds taken directly on an {@link RWMutex} are not seen.
   *
   * @return a view of the hold that cannot release it
   * @throws IllegalStateException when this thread is not inside a locked method or body
   */
  public static LockHandle currentHold() {
    ArrayDeque<LockHandle> holds = HOLDS.get();
    if (holds == null) {
      throw new IllegalStateException(
          "this thread holds no lock taken through @WriteLocked, @ReadLocked or MongoLocks");
    }
    return new BodyHold(holds.peek());
  }

  /** A hold as the body sees it: everything but an early release, which would leave it unlocked. */
  private record BodyHold(LockHandle held) implements LockHandle {
    @Override
    public String lockID() {
      return held.lockID();
    }

    @Override
    public String clientID() {
      return held.clientID();
    }

    @Override
    public LockMode mode() {
      return held.mode();
    }

    @Override
    public boolean isOpen() {
      return held.isOpen();
    }

    @Override
    public boolean isHeld() {
      return held.isHeld();
    }

    @Override
    public long fencingToken() {
      return held.fencingToken();
    }

    @Override
    public void close() {
      throw new UnsupportedOperationException(
          "the " + held + " is released when its locked method or body ends");
    }

    @Override
    public String toString() {
      return held.toString();
    }
  }

  /**
   * The {@link RWMutex} for {@code lockId} under the current client ID, for the full API ({@code
   * tryLock}, {@code acquireWrite} with try-with-resources, ...).
   *
   * @param lockId the lock's ID, not blank
   * @return a new mutex with this instance's options (the default lease) and {@link #name()}
   */
  public RWMutex mutex(String lockId) {
    return newMutex(requireLockId(lockId), clientId(), options(null, null));
  }

  /**
   * The client ID the next call on this thread would lock under.
   *
   * @return what the {@link ClientIdProvider} answers now
   * @throws IllegalStateException when it answers null or a blank ID
   */
  public String clientId() {
    String id = clientIds.clientId();
    if (id == null || id.isBlank()) {
      throw new IllegalStateException(
          "ClientIdProvider " + clientIds + " returned " + (id == null ? "null" : "a blank ID"));
    }
    return id;
  }

  /**
   * The wait used when a call does not name one.
   *
   * @return the default wait
   */
  public Duration defaultWaitTimeout() {
    return waitTimeout;
  }

  /**
   * The lease used when a call does not name one.
   *
   * @return the default lease
   */
  public Duration defaultLeaseTime() {
    return options.leaseTime();
  }

  /**
   * The options of this instance's mutexes (those of calls that name a lease differ only in it).
   *
   * @return the options, with the default lease
   */
  public RWMutexOptions options() {
    return options;
  }

  /**
   * The runtime this instance's mutexes run in: the one given to the constructor, else the shared
   * one at the time of the call.
   *
   * @return the runtime whose {@link LockRuntime#heldLocks()} lists these locks' holds
   */
  public LockRuntime runtime() {
    return runtime != null ? runtime : LockRuntime.shared();
  }

  /**
   * The collection that holds the locks.
   *
   * @return the lock collection
   */
  public MongoCollection<Document> collection() {
    return collection;
  }

  private <T> T withLock(LockMode mode, String lockId, Duration wait, Supplier<T> body) {
    return withLock(mode, lockId, wait, null, body);
  }

  @SuppressWarnings("unchecked")
  private <T> T withLock(
      LockMode mode, String lockId, Duration wait, Duration lease, Supplier<T> body) {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(wait, "waitTimeout");
    try {
      return (T) execute(mode, lockId, null, wait, lease, body::get);
    } catch (RuntimeException | Error unchanged) {
      throw unchanged;
    } catch (Throwable impossible) {
      // Supplier.get cannot throw a checked exception, and neither do the lock calls.
      throw new UndeclaredThrowableException(impossible);
    }
  }

  /**
   * The one locking path for annotations and programmatic calls: acquire, run, release. The body's
   * exceptions propagate unchanged; a failure to release after the body threw (such as the {@code
   * LockLostException} of a lost hold) is added to that exception as suppressed, and after a normal
   * return it is thrown instead of returning the result.
   *
   * @param name the lock's name for listeners, null for this view's {@link #name()}
   * @param wait null for the default wait
   * @param lease null for the default lease
   */
  Object execute(
      LockMode mode, String lockId, String name, Duration wait, Duration lease, LockedBody body)
      throws Throwable {
    RWMutex mutex = cachedMutex(requireLockId(lockId), clientId(), options(lease, name));
    Duration timeout = wait != null ? wait : waitTimeout;
    try (LockHandle held =
        mode == LockMode.WRITE ? mutex.acquireWrite(timeout) : mutex.acquireRead(timeout)) {
      ArrayDeque<LockHandle> holds = HOLDS.get();
      if (holds == null) {
        holds = new ArrayDeque<>(4);
        HOLDS.set(holds);
      }
      holds.push(held);
      try {
        return body.run();
      } finally {
        holds.pop();
        if (holds.isEmpty()) {
          HOLDS.remove(); // nothing left behind on pooled threads
        }
      }
    }
  }

  /**
   * A mutex reused across calls for the same lock, client and options, so that the per-mutex work
   * (checking arguments, rendering the acquire documents once) is not repeated on every call. A
   * mutex keeps no hold state of its own (holds live per thread in the core), so sharing one is
   * safe; the cache is emptied when it grows past {@link #MUTEX_CACHE_LIMIT} lock IDs, as templated
   * IDs such as {@code order-#{#id}} would otherwise grow it without bound. The key holds the
   * lock's name apart from its options, so that one lock ID used under two names (an annotation and
   * a programmatic call, say) gets two mutexes, each reporting its own name.
   */
  private RWMutex cachedMutex(String lockId, String clientId, RWMutexOptions lockOptions) {
    MutexKey key = new MutexKey(lockId, clientId, lockOptions.name(), lockOptions);
    RWMutex cached = mutexes.get(key);
    if (cached != null) {
      return cached;
    }
    if (mutexes.size() >= MUTEX_CACHE_LIMIT) {
      mutexes.clear();
    }
    return mutexes.computeIfAbsent(key, k -> newMutex(k.lockId(), k.clientId(), k.options()));
  }

  private RWMutex newMutex(String lockId, String clientId, RWMutexOptions lockOptions) {
    return runtime != null
        ? new RWMutex(runtime, collection, lockId, clientId, lockOptions)
        : new RWMutex(collection, lockId, clientId, lockOptions);
  }

  private record MutexKey(String lockId, String clientId, String name, RWMutexOptions options) {}

  private record OptionsKey(Duration lease, String name) {}

  /**
   * The options for a hold of {@code lease} under {@code callName}: built once per distinct pair,
   * then reused. Null means the default: the constructor's lease; this view's name, else the name
   * the constructor's options give, else none (the lock ID).
   */
  private RWMutexOptions options(Duration lease, String callName) {
    String lockName = callName != null ? callName : name != null ? name : options.name();
    OptionsKey key = new OptionsKey(lease != null ? lease : options.leaseTime(), lockName);
    RWMutexOptions cached = optionsByLeaseAndName.get(key);
    if (cached != null) {
      return cached;
    }
    if (optionsByLeaseAndName.size() >= MUTEX_CACHE_LIMIT) {
      // Names are meant to be few; a caller that names locks by their IDs must not grow this
      // without bound. The constructor's own options are rebuilt like any other.
      optionsByLeaseAndName.clear();
    }
    return optionsByLeaseAndName.computeIfAbsent(
        key, k -> options.toBuilder().leaseTime(k.lease()).name(k.name()).build());
  }

  private static String requireLockId(String lockId) {
    if (lockId == null || lockId.isBlank()) {
      throw new IllegalArgumentException("lock ID is " + (lockId == null ? "null" : "blank"));
    }
    return lockId;
  }

  @Override
  public String toString() {
    return "MongoLocks{collection="
        + collection.getNamespace()
        + ", clientIds="
        + clientIds
        + ", waitTimeout="
        + waitTimeout
        + ", leaseTime="
        + options.leaseTime()
        + (name == null ? "" : ", name=" + name)
        + "}";
  }
}
