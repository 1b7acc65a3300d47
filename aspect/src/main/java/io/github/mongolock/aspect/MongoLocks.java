package io.github.mongolock.aspect;

import com.mongodb.client.MongoCollection;
import io.github.mongolock.LockHandle;
import io.github.mongolock.LockMode;
import io.github.mongolock.RWMutex;
import java.lang.reflect.UndeclaredThrowableException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.bson.Document;

/**
 * Programmatic locking, for where an annotation does not fit: a lock ID computed in the middle of
 * a method, a lock around part of a method, code outside Spring beans. {@code @EnableMongoLocks}
 * registers one as a bean; the annotations run through the same {@code execute} path, so the
 * client ID, default wait and rules are the same (see {@link WriteLocked}).
 *
 * <pre>{@code
 * int stock = mongoLocks.withReadLock("sku-" + sku, () -> inventory.count(sku));
 * mongoLocks.withWriteLock("sku-" + sku, Duration.ofSeconds(2), () -> inventory.add(sku, 5));
 * }</pre>
 */
public final class MongoLocks {

  /** The wait when nothing else is configured. */
  public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(30);

  private final MongoCollection<Document> collection;
  private final ClientIdProvider clientIds;
  private final Duration waitTimeout;

  /** Locks in {@code collection}, with the {@link ClientIdProvider#perProcess()} ID and a 30 s wait. */
  public MongoLocks(MongoCollection<Document> collection) {
    this(collection, ClientIdProvider.perProcess(), DEFAULT_WAIT_TIMEOUT);
  }

  public MongoLocks(
      MongoCollection<Document> collection, ClientIdProvider clientIds, Duration waitTimeout) {
    this.collection = Objects.requireNonNull(collection, "collection");
    this.clientIds = Objects.requireNonNull(clientIds, "clientIds");
    this.waitTimeout = Objects.requireNonNull(waitTimeout, "waitTimeout");
    if (waitTimeout.isNegative()) {
      throw new IllegalArgumentException("waitTimeout is negative: " + waitTimeout);
    }
  }

  /** Runs {@code body} holding the write lock {@code lockId}, waiting up to the default timeout. */
  public <T> T withWriteLock(String lockId, Supplier<T> body) {
    return withLock(LockMode.WRITE, lockId, waitTimeout, body);
  }

  /** Runs {@code body} holding the write lock {@code lockId}, waiting up to {@code waitTimeout}. */
  public <T> T withWriteLock(String lockId, Duration waitTimeout, Supplier<T> body) {
    return withLock(LockMode.WRITE, lockId, waitTimeout, body);
  }

  /** Runs {@code body} holding the read lock {@code lockId}, waiting up to the default timeout. */
  public <T> T withReadLock(String lockId, Supplier<T> body) {
    return withLock(LockMode.READ, lockId, waitTimeout, body);
  }

  /** Runs {@code body} holding the read lock {@code lockId}, waiting up to {@code waitTimeout}. */
  public <T> T withReadLock(String lockId, Duration waitTimeout, Supplier<T> body) {
    return withLock(LockMode.READ, lockId, waitTimeout, body);
  }

  /**
   * The {@link RWMutex} for {@code lockId} under the current client ID, for the full API
   * ({@code tryLock}, {@code acquireWrite} with try-with-resources, ...).
   */
  public RWMutex mutex(String lockId) {
    return new RWMutex(collection, requireLockId(lockId), clientId());
  }

  /** The client ID the next call on this thread would lock under. */
  public String clientId() {
    String id = clientIds.clientId();
    if (id == null || id.isBlank()) {
      throw new IllegalStateException(
          "ClientIdProvider " + clientIds + " returned " + (id == null ? "null" : "a blank ID"));
    }
    return id;
  }

  /** The wait used when a call does not name one. */
  public Duration defaultWaitTimeout() {
    return waitTimeout;
  }

  /** The collection that holds the locks. */
  public MongoCollection<Document> collection() {
    return collection;
  }

  @SuppressWarnings("unchecked")
  private <T> T withLock(LockMode mode, String lockId, Duration wait, Supplier<T> body) {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(wait, "waitTimeout");
    try {
      return (T) execute(mode, lockId, wait, body::get);
    } catch (RuntimeException | Error unchanged) {
      throw unchanged;
    } catch (Throwable impossible) {
      // Supplier.get cannot throw a checked exception, and neither do the lock calls.
      throw new UndeclaredThrowableException(impossible);
    }
  }

  /**
   * The one locking path for annotations and programmatic calls: acquire, run, release. The body's
   * exceptions propagate unchanged; a failure to release after the body threw is added to that
   * exception as suppressed.
   */
  Object execute(LockMode mode, String lockId, Duration wait, LockedBody body) throws Throwable {
    RWMutex mutex = mutex(lockId);
    Duration timeout = wait != null ? wait : waitTimeout;
    try (LockHandle held =
        mode == LockMode.WRITE ? mutex.acquireWrite(timeout) : mutex.acquireRead(timeout)) {
      return body.run();
    }
  }

  private static String requireLockId(String lockId) {
    if (lockId == null || lockId.isBlank()) {
      throw new IllegalArgumentException("lock ID is " + (lockId == null ? "null" : "blank"));
    }
    return lockId;
  }

  @Override
  public String toString() {
    return "MongoLocks{collection=" + collection.getNamespace() + ", clientIds=" + clientIds
        + ", waitTimeout=" + waitTimeout + "}";
  }
}
