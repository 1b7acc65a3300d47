package io.github.mongolock;

/**
 * The waiting thread was interrupted. Nothing is left held, and the thread's interrupt flag is set
 * again.
 */
public class LockInterruptedException extends MongoLockException {

  LockInterruptedException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
