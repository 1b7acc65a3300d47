package io.github.mongolock.aspect;

import java.lang.reflect.Method;
import java.util.function.Supplier;

/**
 * What both the proxy interceptor and the AspectJ aspect do around a call: look up the method's
 * cached {@link LockedMethod}, evaluate its lock ID, and run the call through {@link
 * MongoLocks#execute}.
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

  Object invoke(Method method, Class<?> targetClass, Object[] args, LockedBody call)
      throws Throwable {
    LockedMethod locked = lockedMethods.get(method, targetClass);
    if (locked == null) {
      return call.run();
    }
    String lockId = lockedMethods.lockId(locked, args);
    return mongoLocks
        .get()
        .execute(locked.mode(), lockId, locked.waitTimeout(), locked.leaseTime(), call);
  }
}
