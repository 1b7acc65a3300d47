package io.github.mongolock;

/**
 * MongoDB failed while releasing a lock: {@code error releasing lock <lockID>: <cause> (client:
 * <clientID>)}. The cause is kept.
 */
public class LockReleaseException extends MongoLockException {

  LockReleaseException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
