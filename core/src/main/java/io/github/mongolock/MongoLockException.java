package io.github.mongolock;

/**
 * Base class of every exception this library throws about a lock, so that callers can catch "lock
 * problems" without catching everything. Unchecked, like the driver's own {@code MongoException}.
 */
public class MongoLockException extends RuntimeException {

  private final String lockID;
  private final String clientID;

  protected MongoLockException(String message, String lockID, String clientID, Throwable cause) {
    super(message, cause);
    this.lockID = lockID;
    this.clientID = clientID;
  }

  /** The lock the failed operation was about. */
  public String lockID() {
    return lockID;
  }

  /** The client that attempted the operation. */
  public String clientID() {
    return clientID;
  }
}
