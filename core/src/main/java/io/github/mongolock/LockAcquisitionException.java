package io.github.mongolock;

/**
 * MongoDB failed while acquiring a lock: {@code error acquiring lock <lockID>: <cause> (client:
 * <clientID>)}. The cause is kept.
 */
public class LockAcquisitionException extends MongoLockException {

  LockAcquisitionException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
