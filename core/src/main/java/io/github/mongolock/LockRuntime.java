package io.github.mongolock;

import io.github.mongolock.internal.engine.EngineRuntime;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads and registries that mutexes share: the heartbeat and lease-watch threads that renew
 * their leases, the change-stream readers, and the local bookkeeping of who holds what in this JVM.
 * Mutexes built without a runtime use the {@linkplain #shared() shared} one; an application that is
 * started and stopped within a JVM (a web application in a servlet container, a Spring context in
 * tests) can give its mutexes a runtime of its own and {@linkplain #close() close} it when it
 * stops, so that nothing it started keeps running:
 *
 * <pre>{@code
 * try (LockRuntime locks = LockRuntime.create()) {
 *   RWMutex mutex = new RWMutex(locks, collection, "lock_1", "client_1", RWMutexOptions.defaults());
 *   ...
 * } // holds still open are given up, threads stop
 * }</pre>
 */
public final class LockRuntime implements AutoCloseable {

  private static final AtomicInteger CREATED = new AtomicInteger();
  private static LockRuntime shared; // guarded by LockRuntime.class

  final EngineRuntime engine;
  private final List<LockListener> listeners = new CopyOnWriteArrayList<>();

  private LockRuntime(String threadSuffix) {
    this.engine = new EngineRuntime(threadSuffix);
  }

  /** A new runtime; its threads start when its first lock is held. Close it when done. */
  public static LockRuntime create() {
    return new LockRuntime("-" + CREATED.incrementAndGet());
  }

  /**
   * The runtime of mutexes built without one. Closing it is allowed (for example when a web
   * application is undeployed); a later call then returns a new one, while the mutexes built on the
   * closed one refuse new acquires.
   */
  public static synchronized LockRuntime shared() {
    if (shared == null || shared.isClosed()) {
      shared = new LockRuntime("");
    }
    return shared;
  }

  /**
   * Tells {@code listener} what the mutexes of this runtime do from now on (see {@link
   * LockListener}).
   *
   * @param listener the listener; added again, it is told twice
   * @throws IllegalArgumentException for null
   */
  public void addListener(LockListener listener) {
    if (listener == null) {
      throw new IllegalArgumentException("listener is null");
    }
    listeners.add(listener);
  }

  /**
   * Stops telling {@code listener}; acquires and holds it was watching still report to their
   * watches.
   *
   * @param listener a listener added before (one registration of it is removed)
   */
  public void removeListener(LockListener listener) {
    listeners.remove(Objects.requireNonNull(listener, "listener"));
  }

  /** The listeners registered now, in the order they were added. */
  List<LockListener> listeners() {
    return listeners;
  }

  public boolean isClosed() {
    return engine.isClosed();
  }

  /**
   * Refuses new acquires of its mutexes ({@link IllegalStateException}), gives up every hold they
   * still have (each is reported to its {@link LockLostListener}s, released in MongoDB where this
   * process's entry is still on the document, and its unlock throws {@link LockLostException}), and
   * stops the runtime's threads. Idempotent.
   */
  @Override
  public void close() {
    engine.close();
  }

  /** Number of locks this runtime keeps local state for (for tests of the clean-up). */
  int registeredSites() {
    return engine.registeredSites();
  }
}
