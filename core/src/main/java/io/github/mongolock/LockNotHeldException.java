package io.github.mongolock;

/**
 * An unlock by a client (or thread) that does not hold the lock in that mode: {@code lock <lockID>
 * not currently held by client: <clientID>}.
 */
public class LockNotHeldException extends MongoLockException {

  LockNotHeldException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
