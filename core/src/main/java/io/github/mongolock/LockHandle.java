package io.github.mongolock;

/**
 * A held lock, for try-with-resources:
 *
 * <pre>{@code
 * try (LockHandle held = mutex.acquireWrite(Duration.ofSeconds(5))) {
 *   // only this thread of this client writes
 * }
 * }</pre>
 *
 * <p>{@link #close()} releases the hold once (later calls do nothing). It releases the hold of the
 * thread that acquired it, so it may be called from another thread, for example when asynchronous
 * work started under the lock completes.
 */
public interface LockHandle extends AutoCloseable {

  String lockID();

  String clientID();

  LockMode mode();

  /** True until {@link #close()} has run. */
  boolean isOpen();

  /**
   * True while this hold is open and has not been lost (its lease expired before it could be
   * renewed, or another client evicted it). A lost hold still has to be closed; close then throws
   * {@link LockLostException}.
   */
  default boolean isHeld() {
    return isOpen();
  }

  /**
   * The fencing token of this write hold (see {@link RWMutex#fencingToken()}).
   *
   * @throws IllegalStateException for a read hold or a closed handle
   * @throws LockLostException when the hold was lost
   */
  default long fencingToken() {
    throw new UnsupportedOperationException("no fencing tokens for " + this);
  }

  /**
   * Releases this hold; throws like {@link RWMutex#unlock()} when MongoDB fails, and {@link
   * LockLostException} when the hold had been lost.
   */
  @Override
  void close();
}
