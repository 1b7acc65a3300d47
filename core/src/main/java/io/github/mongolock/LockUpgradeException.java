package io.github.mongolock;

/**
 * A thread that holds only the read lock asked for the write lock. Refused at once: waiting could
 * never end, because the write lock waits for every reader, this thread included.
 */
public class LockUpgradeException extends MongoLockException {

  LockUpgradeException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
