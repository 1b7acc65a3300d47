package io.github.mongolock;

/**
 * A hold of the lock was lost: its lease could not be renewed before it expired (MongoDB was
 * unreachable, the process was paused), or another client evicted it. Thrown by the unlock of such
 * a hold (the hold is released locally all the same), by a re-entrant acquire on it, and by {@code
 * fencingToken()}. Never thrown for an unlock of a hold that was never taken: that is {@link
 * LockNotHeldException}.
 *
 * <p>Whatever the holder wrote after the loss may have overlapped with the next holder; resources
 * that must not accept such writes check the holder's fencing token.
 */
public class LockLostException extends MongoLockException {

  LockLostException(String message, String lockID, String clientID, Throwable cause) {
    super(message, lockID, clientID, cause);
  }
}
