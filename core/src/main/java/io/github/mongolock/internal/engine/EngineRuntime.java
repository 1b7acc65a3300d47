package io.github.mongolock.internal.engine;

import com.mongodb.client.MongoCollection;
import io.github.mongolock.internal.lease.LeaseKeeper;
import io.github.mongolock.internal.lease.LeaseRegistry;
import io.github.mongolock.internal.store.IndexSetup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

/**
 * Everything a set of mutexes shares in one JVM, and the threads it runs: the lock sites (local
 * holds per lock), the lease keepers with their heartbeat and watch threads, the change-stream
 * watches with their reader threads, and the collections whose indexes were checked. {@link
 * #close()} gives up what its mutexes hold and stops its threads, so an application that is
 * redeployed leaves nothing running.
 */
public final class EngineRuntime implements AutoCloseable {

  private final ConcurrentHashMap<String, LockSite> sites = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ChangeWatch> watches = new ConcurrentHashMap<>();
  private final IndexSetup indexes = new IndexSetup();
  private final LeaseRegistry leases;
  private final ScheduledExecutorService cleanup;
  private volatile boolean closed;

  /**
   * @param name appended to the names of the runtime's threads
   * @param renewals told the outcome of every lease renewal, on the heartbeat's threads
   */
  public EngineRuntime(String name, LeaseRegistry.RenewalListener renewals) {
    this.leases = new LeaseRegistry(name, this::leaseLost, renewals);
    this.cleanup =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mongo-lock-cleanup" + name);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Cleans up, in the background, a client's hold of {@code mode} whose MongoDB state is unknown:
   * the undo of an acquire that ran out of time, or a release that failed. {@code holds} is busy
   * (the caller made it so) until the clean-up ends, so the client's threads do not acquire
   * meanwhile. Tried every half second (each try bounded by {@code commandTimeout}) for a lease
   * time at most: by then the lease, which nothing renews, has expired anyway.
   */
  /** Runs {@code task} once on the clean-up thread (best effort: dropped once closed). */
  void inBackground(Runnable task) {
    try {
      cleanup.execute(task);
    } catch (RejectedExecutionException closedMeanwhile) {
      // closing: what the task would tidy lapses by itself
    }
  }

  void cleanUpInBackground(
      LockSite site, LocalHolds holds, MutexStore store, ModeRule mode, boolean keepEntry) {
    enter(site.key, site.lockID); // keeps the site registered until the clean-up ends
    store.lease().abandon(site.lockID);
    long giveUpAt = System.nanoTime() + store.leaseTime().toNanos();
    Runnable finish =
        () -> {
          site.mutex.lock();
          try {
            holds.cleanUpFinished();
            site.forgetIfIdle(holds.clientID);
            site.changed.signalAll();
          } finally {
            site.mutex.unlock();
          }
          leave(site);
        };
    Runnable[] attempt = new Runnable[1];
    attempt[0] =
        () -> {
          try {
            store.cleanUpLost(mode, keepEntry, store.releaseDeadline());
            finish.run();
          } catch (RuntimeException e) {
            if (closed || System.nanoTime() >= giveUpAt) {
              finish.run();
            } else {
              schedule(attempt[0], finish);
            }
          }
        };
    schedule(attempt[0], finish);
  }

  private void schedule(Runnable attempt, Runnable finish) {
    try {
      cleanup.schedule(attempt, 500, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closedMeanwhile) {
      finish.run();
    }
  }

  LeaseRegistry leases() {
    return leases;
  }

  IndexSetup indexes() {
    return indexes;
  }

  ChangeWatch watch(MongoCollection<Document> collection) {
    return watches.computeIfAbsent(collection.getNamespace().getFullName(), ChangeWatch::new);
  }

  /** The change-stream watch of a collection, or null when none was started (for tests). */
  public ChangeWatchState watchState(MongoCollection<Document> collection) {
    ChangeWatch w = watches.get(collection.getNamespace().getFullName());
    return w == null ? null : new ChangeWatchState(w.isOpen(), w.timesOpened(), w.isBackingOff());
  }

  /** What a test may see of a change-stream watch. */
  public record ChangeWatchState(boolean open, int timesOpened, boolean backingOff) {}

  /** Local releases and change-stream wake-ups of a lock's poller so far (for tests). */
  public long wakeUps(MongoCollection<Document> collection, String lockID) {
    LockSite site = enter(LockSite.keyOf(collection.getNamespace().getFullName(), lockID), lockID);
    try {
      site.mutex.lock();
      try {
        return site.releases;
      } finally {
        site.mutex.unlock();
      }
    } finally {
      leave(site);
    }
  }

  /** How long a watch stays open after its last waiter (for tests). */
  public static long watchIdleCloseNanos() {
    return ChangeWatch.IDLE_CLOSE_NANOS;
  }

  /** New acquires are refused once closed; releases still run (and report the loss). */
  void checkOpen(String lockID, String clientID) {
    if (closed) {
      throw new LockFailure(
          LockFailure.Kind.ILLEGAL_STATE,
          "the lock runtime is closed: no new acquire of lock "
              + lockID
              + " (client: "
              + clientID
              + ")",
          lockID,
          clientID,
          null);
    }
  }

  public boolean isClosed() {
    return closed;
  }

  // ------------------------------------------------------------------------------ sites

  /** The site for key, counted as in use until {@link #leave}. */
  LockSite enter(String key, String lockID) {
    return sites.compute(
        key,
        (k, site) -> {
          LockSite s = site == null ? new LockSite(k, lockID) : site;
          s.users++;
          return s;
        });
  }

  /** Ends one operation; drops the site from the registry when nothing refers to it. */
  void leave(LockSite site) {
    sites.computeIfPresent(
        site.key,
        (k, s) -> {
          s.users--;
          if (s.users > 0) {
            return s;
          }
          s.mutex.lock();
          try {
            return s.clients.isEmpty() && s.poller == null ? null : s;
          } finally {
            s.mutex.unlock();
          }
        });
  }

  /** A lock, client and mode this runtime's threads hold, and how many open holds of it. */
  public record LocalHold(
      String namespace, String lockID, String clientID, ModeRule mode, int holds) {}

  /**
   * What the threads of this runtime hold now, lost holds left out: a snapshot taken lock by lock
   * under each lock's mutex (held only to count), without a MongoDB command.
   */
  public List<LocalHold> localHolds() {
    List<LocalHold> result = new ArrayList<>();
    for (LockSite site : sites.values()) {
      String namespace = site.key.substring(0, site.key.indexOf('\u0000'));
      site.mutex.lock();
      try {
        for (LocalHolds holds : site.clients.values()) {
          for (ModeRule mode : MODES) {
            int open = holds.openHolds(mode);
            if (open > 0) {
              result.add(new LocalHold(namespace, site.lockID, holds.clientID, mode, open));
            }
          }
        }
      } finally {
        site.mutex.unlock();
      }
    }
    return result;
  }

  private static final List<ModeRule> MODES = List.of(ModeRule.WRITE, ModeRule.READ);

  /** Number of lock sites in the registry (for tests of the clean-up). */
  public int registeredSites() {
    return sites.size();
  }

  // ------------------------------------------------------------------------------ leases

  /**
   * The heartbeat gave up this process's lease on a lock document: every client holding the lock
   * under that lease has lost it.
   */
  private void leaseLost(LeaseKeeper keeper, String lockID, String reason) {
    LockSite site = enter(LockSite.keyOf(keeper.namespace, lockID), lockID);
    List<Runnable> notices = new ArrayList<>();
    try {
      site.mutex.lock();
      try {
        for (LocalHolds holds : site.clients.values()) {
          if (holds.lease() == keeper && holds.heldInMongo()) {
            notices.addAll(LockEngine.markLost(holds, reason));
          }
        }
        site.changed.signalAll();
      } finally {
        site.mutex.unlock();
      }
    } finally {
      leave(site);
    }
    notices.forEach(Runnable::run);
  }

  // ------------------------------------------------------------------------------ close

  /**
   * Refuses new acquires, marks every MongoDB hold of its mutexes lost (their listeners are told;
   * each later unlock reports the loss) and releases it in MongoDB where this process's entry is
   * still there (best effort: MongoDB may be gone too, and then the leases run out), then stops the
   * heartbeat, the lease watch and the change-stream readers. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    record Held(MutexStore store, List<ModeRule> modes) {}
    List<Held> held = new ArrayList<>();
    List<Runnable> notices = new ArrayList<>();
    for (LockSite site : sites.values()) {
      site.mutex.lock();
      try {
        for (LocalHolds holds : site.clients.values()) {
          List<ModeRule> modes = new ArrayList<>();
          if (holds.heldInMongo() && !holds.isLost() && holds.store() != null) {
            for (ModeRule mode : List.of(ModeRule.WRITE, ModeRule.READ)) {
              if (holds.holdsInMongo(mode)) {
                modes.add(mode);
              }
            }
            held.add(new Held(holds.store(), modes));
            notices.addAll(LockEngine.markLost(holds, "the lock runtime was closed"));
          }
        }
        site.changed.signalAll();
      } finally {
        site.mutex.unlock();
      }
    }
    notices.forEach(Runnable::run);
    for (Held h : held) {
      for (ModeRule mode : h.modes()) {
        try {
          // the write goes first and keeps the entry while the same client still reads
          h.store()
              .cleanUpLost(
                  mode, mode.isWrite() && h.modes().size() > 1, h.store().releaseDeadline());
        } catch (RuntimeException e) {
          // MongoDB unreachable or the client closed: the lease runs out by itself
        }
      }
    }
    watches.values().forEach(ChangeWatch::close);
    leases.close();
    cleanup.shutdownNow();
  }
}
