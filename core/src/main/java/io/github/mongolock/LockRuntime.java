package io.github.mongolock;

import io.github.mongolock.internal.engine.EngineRuntime;
import io.github.mongolock.internal.lease.LeaseRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  private static final Logger LISTENER_LOG = LoggerFactory.getLogger(LockListener.class);
  private static final AtomicInteger CREATED = new AtomicInteger();
  private static LockRuntime shared; // guarded by LockRuntime.class

  private final List<LockListener> listeners = new CopyOnWriteArrayList<>();
  final EngineRuntime engine;

  private LockRuntime(String threadSuffix) {
    this.engine = new EngineRuntime(threadSuffix, new Renewals());
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
   * @throws IllegalArgumentException for null, as {@link #addListener} does
   */
  public void removeListener(LockListener listener) {
    if (listener == null) {
      throw new IllegalArgumentException("listener is null");
    }
    listeners.remove(listener);
  }

  /** The listeners registered now, in the order they were added. */
  List<LockListener> listeners() {
    return listeners;
  }

  /**
   * What the threads of this runtime hold now, one entry per lock, client and mode: a snapshot of
   * this JVM's bookkeeping (no MongoDB command), for an admin view such as the actuator endpoint.
   * Holds that were lost (and still wait for their unlock) are left out; holds being acquired or
   * released at this moment may be in or out.
   *
   * @return the holds, in no particular order; empty when nothing is held
   */
  public List<HeldLock> heldLocks() {
    List<HeldLock> result = new ArrayList<>();
    for (EngineRuntime.LocalHold h : engine.localHolds()) {
      result.add(
          new HeldLock(
              h.lockID(),
              h.clientID(),
              h.mode().isWrite() ? LockMode.WRITE : LockMode.READ,
              h.namespace(),
              h.holds()));
    }
    return Collections.unmodifiableList(result);
  }

  /** Tells the listeners that a hold was lost (each mutex calls this for its own holds). */
  void lost(LockEvent lock, String reason) {
    if (listeners.isEmpty()) {
      return;
    }
    for (LockListener listener : listeners) {
      try {
        listener.lost(lock, reason);
      } catch (Throwable e) {
        AcquireReport.ignore(e); // called on the lease watch and in close(): neither may stop
        LISTENER_LOG.debug("a lock listener's lost failed for lock {}; ignored", lock.lockID(), e);
      }
    }
  }

  /** Hands the heartbeat's renewals on to the listeners. */
  private final class Renewals implements LeaseRegistry.RenewalListener {
    @Override
    public void renewed(String namespace, int leases) {
      for (LockListener listener : listeners) {
        try {
          listener.renewed(namespace, leases);
        } catch (Throwable e) {
          AcquireReport.ignore(e); // an Error out of the heartbeat would cancel it for good
          LISTENER_LOG.debug("a lock listener's renewed failed for {}; ignored", namespace, e);
        }
      }
    }

    @Override
    public void renewalFailed(String namespace, int leases, Throwable cause) {
      for (LockListener listener : listeners) {
        try {
          listener.renewalFailed(namespace, leases, cause);
        } catch (Throwable e) {
          AcquireReport.ignore(e);
          LISTENER_LOG.debug(
              "a lock listener's renewalFailed failed for {}; ignored", namespace, e);
        }
      }
    }
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
