package io.github.mongolock;

/**
 * An unlock by a client (or thread) that does not hold the lock in that mode: {@code lock <lockID>
 * not currently held by client: <clientID>}, followed by {@code in read mode (this thread holds the
 * write lock: unlock() releases it)} (or the converse) when the thread holds the other mode, or a
 * message saying that another thread of the client holds it.
 */
public class LockNotHeldException extends MongoLockException {

  LockNotHeldException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
