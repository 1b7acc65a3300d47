package io.github.mongolock;

import java.util.Objects;

/**
 * The lock a {@link LockListener} is told about.
 *
 * @param lockName a low-cardinality name for metrics and traces: the {@linkplain
 *     RWMutexOptions.Builder#name(String) name} the mutex was given (an annotation's lock ID
 *     template as written, such as {@code order-#{#order.id}}), or its lock ID when it has none
 * @param lockID the lock's ID
 * @param clientID the client that asks, holds or lost it
 * @param mode the mode asked for, held or lost
 * @param collection the lock collection's namespace, {@code database.collection}
 */
public record LockEvent(
    String lockName, String lockID, String clientID, LockMode mode, String collection) {

  /** Checks that no component is null. */
  public LockEvent {
    Objects.requireNonNull(lockName, "lockName");
    Objects.requireNonNull(lockID, "lockID");
    Objects.requireNonNull(clientID, "clientID");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(collection, "collection");
  }
}
