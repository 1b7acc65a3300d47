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

  /** Releases this hold; throws like {@link RWMutex#unlock()} when MongoDB fails. */
  @Override
  void close();
}
