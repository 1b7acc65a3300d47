package io.github.mongolock;

/**
 * An administrative takeover ({@link RWMutex#tryOverrideLockWriter}) failed: {@code error
 * overriding lock <lockID>: <reason>}, the seed's reasons as they were ({@code lock not found},
 * {@code lock already held by another writer}, ...), a failure of MongoDB followed by {@code
 * (client: <clientID>)}.
 */
public class LockOverrideException extends MongoLockException {

  LockOverrideException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
