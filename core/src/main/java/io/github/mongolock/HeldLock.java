package io.github.mongolock;

/**
 * A lock that threads of this JVM hold, as {@link LockRuntime#heldLocks()} lists it.
 *
 * @param lockID the lock's ID
 * @param clientID the client that holds it
 * @param mode the mode held (a client that downgraded is listed once per mode)
 * @param collection the lock collection's namespace, {@code database.collection}
 * @param holds the open holds of this lock, client and mode in the runtime: the holding threads'
 *     re-entry counts summed (two threads reading once each and one thread holding twice both count
 *     2); at least 1
 */
public record HeldLock(
    String lockID, String clientID, LockMode mode, String collection, int holds) {

  /** Checks that no component is null and that {@code holds} is positive. */
  public HeldLock {
    if (lockID == null || clientID == null || mode == null || collection == null) {
      throw new IllegalArgumentException(
          "lockID, clientID, mode and collection must not be null (lock: "
              + lockID
              + ", client: "
              + clientID
              + ")");
    }
    if (holds < 1) {
      throw new IllegalArgumentException(
          "holds must be at least 1, got "
              + holds
              + " (lock: "
              + lockID
              + ", client: "
              + clientID
              + ")");
    }
  }
}
