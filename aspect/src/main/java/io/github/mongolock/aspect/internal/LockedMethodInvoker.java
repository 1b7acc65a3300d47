package io.github.mongolock.aspect.internal;

import io.github.mongolock.aspect.MongoLocks;
import java.lang.reflect.Method;
import java.util.function.Supplier;

/**
 * Internal, not an API: what both the proxy interceptor and the AspectJ aspect do around a call:
 * look up the method's cached {@link LockedMethod}, evaluate its lock ID, and run the call through
 * the locking path of {@link MongoLocks} (the one its {@code with...Lock} methods take), reached
 * through {@link MongoLocksAccess}.
 */
final class LockedMethodInvoker {

  private final LockedMethods lockedMethods;
  private final Supplier<MongoLocks> mongoLocks;

  /**
   * @param mongoLocks resolved on first call, so that advising beans does not create the
   *     application's MongoDB beans early
   */
  LockedMethodInvoker(LockedMethods lockedMethods, Supplier<MongoLocks> mongoLocks) {
    this.lockedMethods = lockedMethods;
    this.mongoLocks = mongoLocks;
  }

  /** The locks the calls go through, made now if they were not yet. */
  MongoLocks mongoLocks() {
    return mongoLocks.get();
  }

  Object invoke(Method method, Class<?> targetClass, Object[] args, LockedBody call)
      throws Throwable {
    LockedMethod locked = lockedMethods.get(method, targetClass);
    if (locked == null) {
      return call.run();
    }
    String lockId = lockedMethods.lockId(locked, args);
    return MongoLocksAccess.execute(
        mongoLocks.get(),
        locked.mode(),
        lockId,
        locked.name(),
        locked.waitTimeout(),
        locked.leaseTime(),
        call);
  }
}
