package io.github.mongolock.internal.engine;

/**
 * Why a lock operation failed, as the engine reports it; the API turns each kind into its public
 * exception (the engine does not depend on the API package).
 */
public final class LockFailure extends RuntimeException {

  /** The kinds of failure, one per public exception (or JDK exception). */
  public enum Kind {
    /** The wait was interrupted; nothing is left held and the interrupt flag is set again. */
    INTERRUPTED,
    /** A thread holding only the read lock asked for the write lock. */
    UPGRADE_REFUSED,
    /** The hold was lost: its lease expired, or it was evicted or overridden. */
    LOST,
    /** Neither this thread nor (as MongoDB says) this client holds the lock. */
    NOT_HELD,
    /** MongoDB failed during an acquire (or a fencing token). */
    ACQUIRE_FAILED,
    /** MongoDB failed during a release. */
    RELEASE_FAILED,
    /** The call does not fit the hold's state (an IllegalStateException for the caller). */
    ILLEGAL_STATE
  }

  private final Kind kind;
  private final String lockID;
  private final String clientID;

  /** The tag of the hold a failed release ended (see {@link LockEngine#release}), or null. */
  private Object hold;

  public LockFailure(Kind kind, String message, String lockID, String clientID, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.lockID = lockID;
    this.clientID = clientID;
  }

  /**
   * A failure of MongoDB (or of the index set-up) during an operation on a lock, with the message
   * every such failure has: {@code error <doing> lock <lockID>: <detail> (client: <clientID>)}.
   */
  static LockFailure error(
      Kind kind, String doing, String lockID, String clientID, String detail, Throwable cause) {
    return new LockFailure(
        kind,
        "error " + doing + " lock " + lockID + ": " + detail + " (client: " + clientID + ")",
        lockID,
        clientID,
        cause);
  }

  public Kind kind() {
    return kind;
  }

  public String lockID() {
    return lockID;
  }

  public String clientID() {
    return clientID;
  }

  /**
   * The tag the acquire of the hold this failed release ended was given, or null when the failure
   * ended no hold of the caller's (or the hold had none).
   */
  public Object hold() {
    return hold;
  }

  LockFailure withHold(Object tag) {
    this.hold = tag;
    return this;
  }
}
