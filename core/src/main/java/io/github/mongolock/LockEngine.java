package io.github.mongolock;

import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import io.github.mongolock.LockSite.ClientHolds;
import io.github.mongolock.internal.store.LockDocument;
import io.github.mongolock.internal.store.LockProtocol;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Waiting, re-entry and hand-off for one {@link RWMutex}; the rules of who may hold the lock live
 * in {@link LockStore}. Two levels:
 *
 * <ol>
 *   <li>In this JVM, per client ID: the threads of one client exclude each other like a {@link
 *       java.util.concurrent.locks.ReentrantReadWriteLock} (counted re-entry per thread, downgrade
 *       allowed, upgrade refused at once, waiting writers keep new readers of the same client out),
 *       and only the first reader and the last reader of a client talk to MongoDB.
 *   <li>In MongoDB, per client ID: one conditional write per state change. A contended acquire
 *       polls with exponential backoff and jitter between {@code minSleepTime} and {@code
 *       sleepTime}; only one thread per lock and JVM polls at a time (the others wait for its
 *       turn), and a local release wakes the poller at once; so does an update, replace or delete
 *       of the lock document by another process, reported by the collection's {@link ChangeWatch}
 *       (unless {@code changeStreams} is off), which is only a hint: the attempt decides, and
 *       without a stream the poller still polls. While polling it reads the document now and then
 *       (every {@code min(250 ms, leaseTime / 10)}, and once for a single try) and asks {@link
 *       LockStore#evictExpired} to remove holders whose leases look expired; the eviction's filter
 *       decides with the server's clock.
 * </ol>
 *
 * <p>Leases: a granted MongoDB hold is recorded with the {@link LeaseKeeper} that renews it. When
 * the keeper gives a lease up, {@link #leaseLost} marks the holds lost and calls the listeners;
 * from then on the holds report not held, re-entry and {@link #fencingToken} throw {@link
 * LockLostException}, and each unlock throws it too, after releasing locally and removing this
 * process's expired entry from the document if it is still there.
 *
 * <p>A MongoDB operation whose reply may have been lost is sent again (the operations are
 * idempotent for their client); a release that then finds nothing to release has succeeded, and an
 * acquire that gives up after such an error releases what it may have taken.
 */
final class LockEngine {

  private static final int ATTEMPTS_ON_LOST_REPLY = 3;
  private static final long EVICTION_CHECK_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final LockStore store;
  private final String siteKey;
  private final String lockID;
  private final String clientID;
  private final RWMutexOptions options;
  private final List<LockLostListener> listeners;

  /** How often a waiting acquire reads the document to look for expired leases. */
  private final long evictionCheckNanos;

  LockEngine(
      LockStore store,
      String siteKey,
      String lockID,
      String clientID,
      RWMutexOptions options,
      List<LockLostListener> listeners) {
    this.store = store;
    this.siteKey = siteKey;
    this.lockID = lockID;
    this.clientID = clientID;
    this.options = options;
    this.listeners = listeners;
    this.evictionCheckNanos =
        Math.max(
            options.sleepTime().toNanos(),
            Math.min(EVICTION_CHECK_MAX_NANOS, options.leaseTime().toNanos() / 10));
  }

  // ------------------------------------------------------------------------------- acquire

  boolean acquireWrite(Wait wait) {
    Thread me = Thread.currentThread();
    LockSite site = LockSite.enter(siteKey);
    try {
      ClientHolds holds;
      site.mutex.lock();
      try {
        holds = site.client(clientID);
        if (holds.writer == me) {
          if (holds.lost) {
            throw lost(holds);
          }
          holds.writeHolds++;
          return true;
        }
        if (holds.readHolds.containsKey(me)) {
          site.forgetIfIdle(clientID);
          throw new LockUpgradeException(
              "cannot upgrade lock "
                  + lockID
                  + " from read to write for client: "
                  + clientID
                  + " (this thread holds the read lock; release it first)",
              lockID,
              clientID,
              null);
        }
        holds.waitingWriters++;
        boolean turn = false;
        try {
          while (holds.writer != null || !holds.readHolds.isEmpty() || holds.busy) {
            if (!wait.await(site.changed)) {
              return false;
            }
          }
          turn = true;
        } catch (InterruptedException e) {
          throw interrupted();
        } finally {
          holds.waitingWriters--;
          if (!turn) {
            // readers of this client that waited behind this writer may go on
            site.changed.signalAll();
            site.forgetIfIdle(clientID);
          }
        }
        holds.writer = me;
        holds.busy = true;
      } finally {
        site.mutex.unlock();
      }
      return acquireFirstHold(site, holds, LockMode.WRITE, me, wait);
    } finally {
      site.leave();
    }
  }

  /**
   * Caller holds the site's mutex: records the lease of a granted MongoDB hold. If the heartbeat
   * already gave up the document's lease while the acquire was answered, the hold is lost at once.
   */
  private List<Runnable> granted(ClientHolds holds) {
    holds.lease = store.lease();
    holds.listeners = listeners;
    if (!holds.lost && !store.lease().tracks(lockID)) {
      return markLost(holds, "its lease expired while it was being acquired");
    }
    return List.of();
  }

  boolean acquireRead(Wait wait) {
    Thread me = Thread.currentThread();
    LockSite site = LockSite.enter(siteKey);
    try {
      ClientHolds holds;
      site.mutex.lock();
      try {
        holds = site.client(clientID);
        Integer count = holds.readHolds.get(me);
        if (count != null) {
          if (holds.lost) {
            throw lost(holds);
          }
          holds.readHolds.put(me, count + 1);
          return true;
        }
        boolean downgrade = holds.writer == me;
        holds.waitingReaders++;
        boolean turn = false;
        try {
          while (holds.busy
              || (holds.lost && !downgrade)
              || (!downgrade && (holds.writer != null || holds.waitingWriters > 0))) {
            if (!wait.await(site.changed)) {
              return false;
            }
          }
          turn = true;
        } catch (InterruptedException e) {
          throw interrupted();
        } finally {
          holds.waitingReaders--;
          if (!turn) {
            site.forgetIfIdle(clientID);
          }
        }
        if (holds.lost) {
          throw lost(holds); // a downgrade of a lost write hold
        }
        if (holds.dbRead) {
          holds.readHolds.put(me, 1);
          return true;
        }
        holds.busy = true;
      } finally {
        site.mutex.unlock();
      }
      return acquireFirstHold(site, holds, LockMode.READ, me, wait);
    } finally {
      site.leave();
    }
  }

  /**
   * The MongoDB part of a client's first local hold in {@code mode}: {@code holds} is busy (and,
   * for a write, reserved for {@code me}) while MongoDB is asked; then the hold is recorded, or the
   * reservation undone, and the other threads of the site are woken.
   */
  private boolean acquireFirstHold(
      LockSite site, ClientHolds holds, LockMode mode, Thread me, Wait wait) {
    boolean acquired = false;
    List<Runnable> notices = List.of();
    // a read acquire by the writing thread (a downgrade): the write hold shares the lease entry
    boolean otherModeHeld = mode == LockMode.READ && holds.dbWrite;
    try {
      acquired = acquireInMongo(site, mode, otherModeHeld, wait);
    } finally {
      site.mutex.lock();
      try {
        holds.busy = false;
        if (acquired && mode == LockMode.WRITE) {
          holds.writeHolds = 1;
          holds.dbWrite = true;
          holds.fencingToken = 0;
        } else if (acquired) {
          holds.dbRead = true;
          holds.readHolds.put(me, 1);
        } else if (mode == LockMode.WRITE) {
          holds.writer = null;
        }
        if (acquired) {
          notices = granted(holds);
        } else {
          site.forgetIfIdle(clientID);
        }
        site.changed.signalAll();
      } finally {
        site.mutex.unlock();
      }
      notices.forEach(Runnable::run);
    }
    return acquired;
  }

  /**
   * Acquires in MongoDB: one attempt, then (unless the wait is a single attempt) poll as the site's
   * only poller until granted or the wait is over.
   */
  private boolean acquireInMongo(LockSite site, LockMode mode, boolean otherModeHeld, Wait wait) {
    // the first attempt judges the clock too: a lock free by expiresAt or a lapsed mark, or a
    // compatible hold that another client's upsert created an instant ago, is taken at once
    if (attempt(mode, true, otherModeHeld)) {
      return true;
    }
    if (wait.isOnce()) {
      // one look for holders whose leases have expired by this host's clock
      try {
        return evictExpired(new LeaseObserver(false), null) != Chore.NOTHING
            && attempt(mode, true, otherModeHeld);
      } catch (MongoInterruptedException e) {
        throw interrupted();
      } catch (MongoException e) {
        throw new LockAcquisitionException(
            "error acquiring lock " + lockID + ": " + e.getMessage(), lockID, clientID, e);
      }
    }
    boolean waitedForTurn = false;
    long releasesSeen;
    site.mutex.lock();
    try {
      while (site.poller != null) {
        waitedForTurn = true;
        if (!wait.await(site.changed)) {
          return false;
        }
      }
      site.poller = Thread.currentThread();
      releasesSeen = site.releases;
    } catch (InterruptedException e) {
      throw interrupted();
    } finally {
      site.mutex.unlock();
    }
    boolean acquired = false;
    boolean marked = false;
    ChangeWatch.Waiter watching = null;
    try {
      if (options.changeStreams()) {
        watching = ChangeWatch.of(store.collection()).waiting(site, store.collection());
      }
      if (waitedForTurn && attempt(mode, true, otherModeHeld)) {
        acquired = true;
        return true;
      }
      long sleep = options.minSleepTime().toNanos();
      long maxSleep = options.sleepTime().toNanos();
      long markEvery = options.writerWaitingTtl().toNanos() / 3;
      long lastMark = 0;
      long lastEvictionCheck = 0;
      LeaseObserver observer = new LeaseObserver(true);
      while (true) {
        long now = System.nanoTime();
        if (lastEvictionCheck == 0 || now - lastEvictionCheck >= evictionCheckNanos) {
          lastEvictionCheck = now;
          Chore chore = evictExpired(observer, watching);
          if (chore == Chore.TAKE_OVER_FOR_READ && mode == LockMode.READ) {
            if (store.tryTakeOverExpiredForRead()) {
              acquired = true;
              return true;
            }
          }
          if (chore != Chore.NOTHING && attempt(mode, true, otherModeHeld)) {
            acquired = true;
            return true;
          }
        }
        if (mode == LockMode.WRITE
            && options.writerPreference()
            && (!marked || now - lastMark >= markEvery)) {
          marked = true; // before the call: an interrupted call may still have set the mark
          store.markWriterWaiting();
          lastMark = now;
        }
        long pause = sleep / 2 + ThreadLocalRandom.current().nextLong(sleep / 2 + 1);
        if (!pauseUnlessReleased(site, wait, pause, releasesSeen)) {
          return false;
        }
        releasesSeen = releasesNow(site);
        if (attempt(mode, false, otherModeHeld)) {
          acquired = true;
          return true;
        }
        sleep = Math.min(maxSleep, sleep * 2);
      }
    } catch (MongoInterruptedException e) {
      undoPossibleAcquire(mode, otherModeHeld);
      throw interrupted();
    } catch (MongoException e) {
      throw new LockAcquisitionException(
          "error acquiring lock " + lockID + ": " + e.getMessage(), lockID, clientID, e);
    } finally {
      if (watching != null) {
        watching.close();
      }
      if (marked && !acquired) {
        try {
          uninterrupted(
              () -> {
                store.clearWriterWaiting();
                return null;
              });
        } catch (MongoException ignored) {
          // the mark lapses by itself after writerWaitingTtl
        }
      }
      site.mutex.lock();
      try {
        site.poller = null;
        site.changed.signalAll();
      } finally {
        site.mutex.unlock();
      }
    }
  }

  /** What the periodic look at the lock document suggests the waiting acquire does next. */
  private enum Chore {
    /** Nothing changed that the next plain attempt would not see. */
    NOTHING,
    /** Holders were evicted, or a condition on the server's clock may now free the lock. */
    ATTEMPT_JUDGING_CLOCK,
    /** As above, and the document has an expiresAt: a reader may take it over once passed. */
    TAKE_OVER_FOR_READ
  }

  /**
   * Reads the document, evicts holders whose leases look expired and removes orphan lease keys.
   * Tells the change stream watch which document the poller waits for. The plain upsert that a
   * waiting acquire sends cannot judge {@code expiresAt} or a lapsed writer-waiting mark (no {@code
   * $$NOW} in an upsert): when the document has either, the next attempt should.
   */
  private Chore evictExpired(LeaseObserver observer, ChangeWatch.Waiter watching) {
    LockDocument doc = store.read();
    if (watching != null) {
      watching.documentRead(doc);
    }
    if (doc == null) {
      return Chore.NOTHING;
    }
    Set<String> expired = observer.expired(doc);
    boolean evicted = !expired.isEmpty() && store.evictExpired(doc, expired);
    if (!evicted && !doc.orphanLeases().isEmpty()) {
      store.sweepOrphanLeases(doc);
    }
    if (doc.expiresAt() != null) {
      return Chore.TAKE_OVER_FOR_READ;
    }
    return evicted || doc.markedByOtherThan(clientID) ? Chore.ATTEMPT_JUDGING_CLOCK : Chore.NOTHING;
  }

  /**
   * Which sessions' leases on a document look expired from here. Only a hint: the eviction's own
   * filter decides with the server's clock. A lease looks expired when its end is past by this
   * host's clock, or (when patient, so that a skewed clock cannot delay a takeover) when its stamp
   * has not changed for a whole lease time as measured here.
   */
  static final class LeaseObserver {
    private final boolean patient;
    private final Map<String, long[]> seen = new HashMap<>();

    LeaseObserver(boolean patient) {
      this.patient = patient;
    }

    Set<String> expired(LockDocument doc) {
      Set<String> result = new HashSet<>();
      long nowNanos = System.nanoTime();
      long nowMillis = System.currentTimeMillis();
      for (String session : doc.entrySessions()) {
        LockDocument.Lease lease = doc.lease(session);
        if (lease == null) {
          result.add(session); // an entry without a lease stamp counts as expired
          continue;
        }
        long at = lease.at().getTime();
        long[] first = seen.get(session);
        if (first == null || first[0] != at) {
          first = new long[] {at, nowNanos};
          seen.put(session, first);
        }
        if (lease.endMillis() <= nowMillis
            || (patient && nowNanos - first[1] >= TimeUnit.MILLISECONDS.toNanos(lease.ms()))) {
          result.add(session);
        }
      }
      return result;
    }
  }

  /**
   * Sleeps up to pauseNanos, or less when a local release happens or the change stream reports a
   * change; returns at once when that happened since {@code releasesBefore} was read (before the
   * last attempt), so that a release during the attempt is not slept through. False once the wait
   * is over.
   */
  private boolean pauseUnlessReleased(
      LockSite site, Wait wait, long pauseNanos, long releasesBefore) {
    site.mutex.lock();
    try {
      long until = System.nanoTime() + pauseNanos;
      long left = pauseNanos;
      while (left > 0 && site.releases == releasesBefore) {
        if (!wait.await(site.changed, left)) {
          return false;
        }
        left = until - System.nanoTime();
      }
      return true;
    } catch (InterruptedException e) {
      throw interrupted();
    } finally {
      site.mutex.unlock();
    }
  }

  private static long releasesNow(LockSite site) {
    site.mutex.lock();
    try {
      return site.releases;
    } finally {
      site.mutex.unlock();
    }
  }

  /**
   * One attempt, sent again when the reply may have been lost (both acquire commands are safe to
   * resend: see {@link io.github.mongolock.internal.store.LockCommands.Acquire}).
   */
  private boolean attempt(LockMode mode, boolean judgeClock, boolean otherModeHeld) {
    for (int tries = 1; ; tries++) {
      try {
        return store.tryAcquire(mode, judgeClock);
      } catch (MongoInterruptedException e) {
        undoPossibleAcquire(mode, otherModeHeld);
        throw interrupted();
      } catch (MongoException e) {
        if (LockProtocol.outcomeUnknown(e) && tries < ATTEMPTS_ON_LOST_REPLY) {
          pauseBeforeRetry(tries);
          continue;
        }
        if (LockProtocol.outcomeUnknown(e)) {
          undoPossibleAcquire(mode, otherModeHeld);
        }
        throw new LockAcquisitionException(
            "error acquiring lock " + lockID + ": " + e.getMessage(), lockID, clientID, e);
      }
    }
  }

  /**
   * The last attempt may have been applied: release what it may have taken, if MongoDB lets us. A
   * downgrade's undo keeps the lease entry, which the write hold still needs.
   */
  private void undoPossibleAcquire(LockMode mode, boolean otherModeHeld) {
    try {
      uninterrupted(() -> otherModeHeld ? store.releaseKeepingEntry(mode) : store.release(mode));
    } catch (MongoException ignored) {
      // MongoDB is unreachable; the lock document still names this client, as it would after a
      // crash
    }
  }

  private static void pauseBeforeRetry(int tries) {
    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10L * tries));
  }

  // ------------------------------------------------------------------------------- release

  void releaseWrite(Thread owner) {
    LockSite site = LockSite.enter(siteKey);
    try {
      ClientHolds holds;
      boolean wasLost;
      boolean keepLease;
      site.mutex.lock();
      try {
        holds = site.clients.get(clientID);
        if (holds == null || holds.writer == null) {
          // No thread of this JVM holds it for this client: the seed's behaviour, release what
          // MongoDB says this client holds (for example after a restart with the same client ID).
          holds = null;
          wasLost = false;
          keepLease = false;
        } else if (holds.writer != owner || holds.writeHolds == 0) {
          throw notHeld();
        } else if (--holds.writeHolds > 0) {
          if (holds.lost) {
            throw lost(holds);
          }
          return;
        } else {
          holds.busy = true;
          wasLost = holds.lost;
          keepLease = holds.dbRead;
        }
      } finally {
        site.mutex.unlock();
      }
      releaseLastHold(site, holds, LockMode.WRITE, wasLost, keepLease);
    } finally {
      site.leave();
    }
  }

  void releaseRead(Thread owner) {
    LockSite site = LockSite.enter(siteKey);
    try {
      ClientHolds holds;
      boolean wasLost;
      boolean keepLease;
      site.mutex.lock();
      try {
        holds = site.clients.get(clientID);
        if (holds == null || (holds.readHolds.isEmpty() && !holds.dbRead && !holds.busy)) {
          holds = null; // as in releaseWrite: no local reader, ask MongoDB
          wasLost = false;
          keepLease = false;
        } else {
          Integer count = holds.readHolds.get(owner);
          if (count == null) {
            site.forgetIfIdle(clientID);
            throw notHeld();
          }
          if (count > 1) {
            holds.readHolds.put(owner, count - 1);
            if (holds.lost) {
              throw lost(holds);
            }
            return;
          }
          holds.readHolds.remove(owner);
          if (!holds.readHolds.isEmpty()) {
            site.changed.signalAll();
            if (holds.lost) {
              throw lost(holds);
            }
            return;
          }
          holds.busy = true;
          wasLost = holds.lost;
          keepLease = holds.dbWrite;
        }
      } finally {
        site.mutex.unlock();
      }
      releaseLastHold(site, holds, LockMode.READ, wasLost, keepLease);
    } finally {
      site.leave();
    }
  }

  /**
   * The MongoDB part of a client's last local hold in {@code mode}: {@code holds} (null for the
   * seed's release of what MongoDB says this client holds) stays busy until MongoDB has answered;
   * then the mode is cleared locally whatever MongoDB said, listeners are told, and a hold that was
   * lost throws {@link LockLostException}.
   */
  private void releaseLastHold(
      LockSite site, ClientHolds holds, LockMode mode, boolean wasLost, boolean keepLease) {
    List<Runnable> notices = List.of();
    try {
      notices = releaseInMongo(site, holds, mode, wasLost, keepLease);
    } finally {
      if (holds != null) {
        site.mutex.lock();
        try {
          holds.busy = false;
          if (mode == LockMode.WRITE) {
            holds.writer = null;
            holds.dbWrite = false;
            holds.fencingToken = 0;
          } else {
            holds.dbRead = false;
          }
          afterRelease(site, holds);
        } finally {
          site.mutex.unlock();
        }
      }
      notices.forEach(Runnable::run);
    }
    if (wasLost) {
      throw lost(holds);
    }
  }

  /** Caller holds the site's mutex. */
  private void afterRelease(LockSite site, ClientHolds holds) {
    if (!holds.dbWrite && !holds.dbRead) {
      holds.lost = false;
      holds.lostReason = null;
    }
    site.releases++;
    site.forgetIfIdle(clientID);
    site.changed.signalAll();
  }

  /**
   * Releases in MongoDB. A lost hold is only cleaned up (where this process's lease entry is still
   * there), best effort; the caller throws {@link LockLostException}. A leased hold that MongoDB no
   * longer shows was lost too: returns the notices to give and throws {@link LockLostException}.
   */
  private List<Runnable> releaseInMongo(
      LockSite site, ClientHolds holds, LockMode mode, boolean wasLost, boolean keepLease) {
    if (wasLost) {
      try {
        uninterrupted(
            () -> {
              store.cleanUpLost(mode, keepLease);
              return null;
            });
      } catch (RuntimeException ignored) {
        // MongoDB unreachable (or the client closed): the entry has expired with its lease and
        // whoever needs the lock evicts it
      }
      return List.of();
    }
    boolean replyLost = false;
    for (int tries = 1; ; tries++) {
      try {
        LockStore.Released released =
            uninterrupted(() -> keepLease ? store.releaseKeepingEntry(mode) : store.release(mode));
        if (released == LockStore.Released.NOT_HELD && !replyLost) {
          if (holds == null) {
            throw notHeld();
          }
          // held with a lease, but MongoDB no longer lists this client: evicted or overridden
          site.mutex.lock();
          List<Runnable> notices;
          try {
            notices =
                markLost(
                    holds,
                    "MongoDB no longer lists this client as a holder (its lease expired and another"
                        + " client evicted it, or its writer was overridden)");
          } finally {
            site.mutex.unlock();
          }
          notices.forEach(Runnable::run);
          throw lost(holds);
        }
        // NOT_HELD after a lost reply: the lost attempt did release it.
        return List.of();
      } catch (MongoException e) {
        if (LockProtocol.outcomeUnknown(e) && tries < ATTEMPTS_ON_LOST_REPLY) {
          replyLost = true;
          pauseBeforeRetry(tries);
          continue;
        }
        throw new LockReleaseException(
            "error releasing lock " + lockID + ": " + e.getMessage(), lockID, clientID, e);
      }
    }
  }

  // ------------------------------------------------------------------------------- leases

  /**
   * Called by the heartbeat when it gave up this process's lease on a lock document: every client
   * of this JVM holding the lock under that lease has lost it.
   */
  static void leaseLost(LeaseKeeper keeper, String lockID, String reason) {
    LockSite site = LockSite.enter(LockSite.keyOf(keeper.namespace, lockID));
    List<Runnable> notices = new ArrayList<>();
    try {
      site.mutex.lock();
      try {
        for (ClientHolds holds : site.clients.values()) {
          if (holds.lease == keeper && (holds.dbWrite || holds.dbRead)) {
            notices.addAll(markLost(holds, reason));
          }
        }
        site.changed.signalAll();
      } finally {
        site.mutex.unlock();
      }
    } finally {
      site.leave();
    }
    notices.forEach(Runnable::run);
  }

  /**
   * Caller holds the site's mutex: marks the holds lost and returns the listener calls to make once
   * the mutex is released.
   */
  private static List<Runnable> markLost(ClientHolds holds, String reason) {
    if (holds.lost) {
      return List.of();
    }
    holds.lost = true;
    holds.lostReason = reason;
    List<Runnable> notices = new ArrayList<>();
    String lockID = holds.lockID;
    String clientID = holds.clientID;
    for (LockMode mode : LockMode.values()) {
      if (mode == LockMode.WRITE ? holds.dbWrite : holds.dbRead) {
        for (LockLostListener listener : holds.listeners) {
          notices.add(
              () -> {
                try {
                  listener.lockLost(lockID, clientID, mode);
                } catch (RuntimeException ignored) {
                  // a listener's failure must not stop the others, nor the heartbeat
                }
              });
        }
      }
    }
    return notices;
  }

  /** The current write hold's fencing token, issued on first call. */
  long fencingToken(Thread owner) {
    LockSite site = LockSite.enter(siteKey);
    try {
      ClientHolds holds;
      site.mutex.lock();
      try {
        holds = site.clients.get(clientID);
        if (holds == null || holds.writer != owner || holds.writeHolds == 0) {
          throw new IllegalStateException(
              "no fencing token: the thread does not hold the write lock "
                  + lockID
                  + " (client: "
                  + clientID
                  + ")");
        }
        if (holds.lost) {
          throw lost(holds);
        }
        if (holds.fencingToken > 0) {
          return holds.fencingToken;
        }
      } finally {
        site.mutex.unlock();
      }
      long token;
      try {
        token = uninterrupted(store::issueFencingToken);
      } catch (MongoException e) {
        throw new LockAcquisitionException(
            "error issuing a fencing token for lock " + lockID + ": " + e.getMessage(),
            lockID,
            clientID,
            e);
      }
      List<Runnable> notices = List.of();
      site.mutex.lock();
      try {
        if (token > 0 && !holds.lost) {
          holds.fencingToken = token;
          return token;
        }
        notices =
            markLost(
                holds,
                "no fencing token: the write hold is no longer valid in MongoDB"
                    + " (its lease expired by the server's clock, or another client evicted it)");
      } finally {
        site.mutex.unlock();
        notices.forEach(Runnable::run);
      }
      throw lost(holds);
    } finally {
      site.leave();
    }
  }

  /**
   * Runs a release or clean-up with the interrupt flag cleared, then sets it again: the driver
   * refuses to work on an interrupted thread, and a release in a finally block must not be lost
   * because the thread was interrupted.
   */
  private static <T> T uninterrupted(java.util.function.Supplier<T> operation) {
    boolean interrupted = Thread.interrupted();
    try {
      return operation.get();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------------------- queries

  boolean isWriteLockedBy(Thread thread) {
    return localHolds(thread, LockMode.WRITE);
  }

  boolean isReadLockedBy(Thread thread) {
    return localHolds(thread, LockMode.READ);
  }

  private boolean localHolds(Thread thread, LockMode mode) {
    LockSite site = LockSite.enter(siteKey);
    try {
      site.mutex.lock();
      try {
        ClientHolds holds = site.clients.get(clientID);
        if (holds == null || holds.lost) {
          return false;
        }
        return mode == LockMode.WRITE
            ? holds.writer == thread && holds.writeHolds > 0
            : holds.readHolds.containsKey(thread);
      } finally {
        site.mutex.unlock();
      }
    } finally {
      site.leave();
    }
  }

  private LockNotHeldException notHeld() {
    return new LockNotHeldException(
        "lock " + lockID + " not currently held by client: " + clientID, lockID, clientID, null);
  }

  private LockLostException lost(ClientHolds holds) {
    return new LockLostException(
        "lock "
            + lockID
            + " was lost by client: "
            + clientID
            + " ("
            + (holds.lostReason == null ? "lease expired" : holds.lostReason)
            + ")",
        lockID,
        clientID,
        null);
  }

  private LockInterruptedException interrupted() {
    Thread.currentThread().interrupt();
    return new LockInterruptedException(
        "interrupted while waiting for lock " + lockID + " (client: " + clientID + ")",
        lockID,
        clientID,
        null);
  }
}
