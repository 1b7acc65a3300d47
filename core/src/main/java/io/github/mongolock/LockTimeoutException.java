package io.github.mongolock;

/** A bounded acquire gave up: the lock was not granted before the timeout. Nothing is left held. */
public class LockTimeoutException extends MongoLockException {

  LockTimeoutException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
