package io.github.mongolock.aspect.internal;

import io.github.mongolock.LockMode;
import io.github.mongolock.aspect.MongoLocks;
import java.time.Duration;
import java.util.Objects;

/**
 * Internal, not an API: the annotation path's way into the package-private locking path of {@link
 * MongoLocks}, which stays out of its public API (the pattern of the JDK's {@code SharedSecrets}).
 * {@code MongoLocks} registers it when its class is initialized, so it is there whenever a {@code
 * MongoLocks} instance exists.
 */
public final class MongoLocksAccess {

  /** The locking path of one {@link MongoLocks}: acquire, run {@code body}, release. */
  @FunctionalInterface
  public interface Execute {
    /**
     * Runs {@code body} under the lock; see {@code MongoLocks.execute}.
     *
     * @param locks the instance whose client ID, defaults and collection apply
     * @param mode write or read
     * @param lockId the evaluated lock ID
     * @param name the lock's low-cardinality name for listeners (the method's template), or null
     *     for the default of {@code locks}
     * @param wait how long to wait, or null for the default of {@code locks}
     * @param lease the lease of the hold, or null for the default of {@code locks}
     * @param body the work
     * @return what {@code body} returned
     * @throws Throwable what {@code body} threw, or why it could not be locked
     */
    Object execute(
        MongoLocks locks,
        LockMode mode,
        String lockId,
        String name,
        Duration wait,
        Duration lease,
        LockedBody body)
        throws Throwable;
  }

  private static volatile Execute execute;

  private MongoLocksAccess() {}

  /**
   * Called once, by {@link MongoLocks}'s class initializer.
   *
   * @param implementation its locking path
   * @throws IllegalStateException on a second call (so that nothing else can take its place, a call
   *     before it makes {@code MongoLocks} fail to initialize)
   */
  public static synchronized void register(Execute implementation) {
    if (execute != null) {
      throw new IllegalStateException("the MongoLocks locking path is already registered");
    }
    execute = Objects.requireNonNull(implementation, "implementation");
  }

  static Object execute(
      MongoLocks locks,
      LockMode mode,
      String lockId,
      String name,
      Duration wait,
      Duration lease,
      LockedBody body)
      throws Throwable {
    // locks exists, so its class is initialized and has registered the path.
    return execute.execute(locks, mode, lockId, name, wait, lease, body);
  }
}
