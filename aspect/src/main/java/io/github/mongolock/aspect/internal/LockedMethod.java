package io.github.mongolock.aspect.internal;

import io.github.mongolock.LockMode;
import java.lang.reflect.Method;
import java.time.Duration;

/**
 * Internal, not an API: what one annotated method asks for, parsed and checked once.
 *
 * @param method the annotated (most specific) method
 * @param mode write or read
 * @param lockId the parsed lock ID template
 * @param waitTimeout how long to wait, or null for the application default
 * @param leaseTime the lease of the hold, or null for the application default
 */
record LockedMethod(
    Method method, LockMode mode, LockIdTemplate lockId, Duration waitTimeout, Duration leaseTime) {

  /**
   * The lock's low-cardinality name for listeners, metrics and traces: the lock ID template as
   * written ({@code order-#{#order.id}}), its {@code ${...}} placeholders resolved at startup. One
   * per method, however many lock IDs its calls evaluate to.
   */
  String name() {
    return lockId.source();
  }

  String describe() {
    return (mode == LockMode.WRITE ? "@WriteLocked" : "@ReadLocked")
        + "(\""
        + lockId.source()
        + "\") on "
        + LockIdTemplate.describe(method);
  }
}
