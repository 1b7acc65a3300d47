package io.github.mongolock;

/**
 * An administrative takeover ({@link RWMutex#tryOverrideLockWriter}) failed: {@code error
 * overriding lock <lockID>: <reason>}.
 */
public class LockOverrideException extends MongoLockException {

  LockOverrideException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
