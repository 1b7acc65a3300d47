package io.github.mongolock;

import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import io.github.mongolock.LockSite.ClientHolds;
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
 *       turn), and a local release wakes the poller at once.
 * </ol>
 *
 * <p>A MongoDB operation whose reply may have been lost is sent again (the operations are
 * idempotent for their client); a release that then finds nothing to release has succeeded, and
 * an acquire that gives up after such an error releases what it may have taken.
 */
final class LockEngine {

  private static final int ATTEMPTS_ON_LOST_REPLY = 3;
  private static final long READ_TAKEOVER_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final LockStore store;
  private final String siteKey;
  private final String lockID;
  private final String clientID;
  private final RWMutexOptions options;

  LockEngine(LockStore store, String siteKey, String lockID, String clientID,
      RWMutexOptions options) {
    this.store = store;
    this.siteKey = siteKey;
    this.lockID = lockID;
    this.clientID = clientID;
    this.options = options;
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
          holds.writeHolds++;
          return true;
        }
        if (holds.readHolds.containsKey(me)) {
          site.forgetIfIdle(clientID);
          throw new LockUpgradeException(
              "cannot upgrade lock " + lockID + " from read to write for client: " + clientID
                  + " (this thread holds the read lock; release it first)",
              lockID, clientID, null);
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
      boolean acquired = false;
      try {
        acquired = acquireInMongo(site, LockMode.WRITE, wait);
      } finally {
        site.mutex.lock();
        try {
          holds.busy = false;
          if (acquired) {
            holds.writeHolds = 1;
            holds.dbWrite = true;
          } else {
            holds.writer = null;
            site.forgetIfIdle(clientID);
          }
          site.changed.signalAll();
        } finally {
          site.mutex.unlock();
        }
      }
      return acquired;
    } finally {
      site.leave();
    }
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
          holds.readHolds.put(me, count + 1);
          return true;
        }
        boolean downgrade = holds.writer == me;
        holds.waitingReaders++;
        try {
          while (holds.busy
              || (!downgrade && (holds.writer != null || holds.waitingWriters > 0))) {
            if (!wait.await(site.changed)) {
              holds.waitingReaders--;
              site.forgetIfIdle(clientID);
              return false;
            }
          }
        } catch (InterruptedException e) {
          holds.waitingReaders--;
          site.forgetIfIdle(clientID);
          throw interrupted();
        }
        holds.waitingReaders--;
        if (holds.dbRead) {
          holds.readHolds.put(me, 1);
          return true;
        }
        holds.busy = true;
      } finally {
        site.mutex.unlock();
      }
      boolean acquired = false;
      try {
        acquired = acquireInMongo(site, LockMode.READ, wait);
      } finally {
        site.mutex.lock();
        try {
          holds.busy = false;
          if (acquired) {
            holds.dbRead = true;
            holds.readHolds.put(me, 1);
          } else {
            site.forgetIfIdle(clientID);
          }
          site.changed.signalAll();
        } finally {
          site.mutex.unlock();
        }
      }
      return acquired;
    } finally {
      site.leave();
    }
  }

  /**
   * Acquires in MongoDB: one attempt, then (unless the wait is a single attempt) poll as the
   * site's only poller until granted or the wait is over.
   */
  private boolean acquireInMongo(LockSite site, LockMode mode, Wait wait) {
    if (attempt(mode)) {
      return true;
    }
    if (wait.isOnce()) {
      return false;
    }
    boolean waitedForTurn = false;
    site.mutex.lock();
    try {
      while (site.poller != null) {
        waitedForTurn = true;
        if (!wait.await(site.changed)) {
          return false;
        }
      }
      site.poller = Thread.currentThread();
    } catch (InterruptedException e) {
      throw interrupted();
    } finally {
      site.mutex.unlock();
    }
    boolean acquired = false;
    boolean marked = false;
    try {
      if (waitedForTurn && attempt(mode)) {
        acquired = true;
        return true;
      }
      long sleep = options.minSleepTime().toNanos();
      long maxSleep = options.sleepTime().toNanos();
      long markEvery = options.writerWaitingTtl().toNanos() / 3;
      long lastMark = 0;
      long lastTakeover = 0;
      while (true) {
        long now = System.nanoTime();
        if (mode == LockMode.WRITE && options.writerPreference()
            && (!marked || now - lastMark >= markEvery)) {
          store.markWriterWaiting();
          marked = true;
          lastMark = now;
        }
        if (mode == LockMode.READ && (lastTakeover == 0 || now - lastTakeover >= READ_TAKEOVER_EVERY_NANOS)) {
          lastTakeover = now;
          if (store.tryTakeOverExpiredForRead()) {
            acquired = true;
            return true;
          }
        }
        long pause = sleep / 2 + ThreadLocalRandom.current().nextLong(sleep / 2 + 1);
        if (!pauseUnlessReleased(site, wait, pause)) {
          return false;
        }
        if (attempt(mode)) {
          acquired = true;
          return true;
        }
        sleep = Math.min(maxSleep, sleep * 2);
      }
    } catch (MongoInterruptedException e) {
      undoPossibleAcquire(mode);
      throw interrupted();
    } catch (MongoException e) {
      throw new LockAcquisitionException(
          "error acquiring lock " + lockID + ": " + e.getMessage(), lockID, clientID, e);
    } finally {
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

  /** Sleeps up to pauseNanos, or less when a local release happens. False once the wait is over. */
  private boolean pauseUnlessReleased(LockSite site, Wait wait, long pauseNanos) {
    site.mutex.lock();
    try {
      long releasesBefore = site.releases;
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

  /** One attempt, sent again when the reply may have been lost. */
  private boolean attempt(LockMode mode) {
    for (int tries = 1; ; tries++) {
      try {
        return mode == LockMode.WRITE ? store.tryAcquireWrite() : store.tryAcquireRead();
      } catch (MongoInterruptedException e) {
        undoPossibleAcquire(mode);
        throw interrupted();
      } catch (MongoException e) {
        if (LockStore.outcomeUnknown(e) && tries < ATTEMPTS_ON_LOST_REPLY) {
          pauseBeforeRetry(tries);
          continue;
        }
        if (LockStore.outcomeUnknown(e)) {
          undoPossibleAcquire(mode);
        }
        throw new LockAcquisitionException(
            "error acquiring lock " + lockID + ": " + e.getMessage(), lockID, clientID, e);
      }
    }
  }

  /** The last attempt may have been applied: release what it may have taken, if MongoDB lets us. */
  private void undoPossibleAcquire(LockMode mode) {
    try {
      uninterrupted(mode == LockMode.WRITE ? store::releaseWrite : store::releaseRead);
    } catch (MongoException ignored) {
      // MongoDB is unreachable; the lock document still names this client, as it would after a crash
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
      site.mutex.lock();
      try {
        holds = site.clients.get(clientID);
        if (holds == null || holds.writer == null) {
          // No thread of this JVM holds it for this client: the seed's behaviour, release what
          // MongoDB says this client holds (for example after a restart with the same client ID).
          holds = null;
        } else if (holds.writer != owner || holds.writeHolds == 0) {
          throw notHeld();
        } else if (--holds.writeHolds > 0) {
          return;
        } else {
          holds.busy = true;
        }
      } finally {
        site.mutex.unlock();
      }
      try {
        releaseInMongo(LockMode.WRITE);
      } finally {
        if (holds != null) {
          site.mutex.lock();
          try {
            holds.busy = false;
            holds.writer = null;
            holds.dbWrite = false;
            site.releases++;
            site.forgetIfIdle(clientID);
            site.changed.signalAll();
          } finally {
            site.mutex.unlock();
          }
        }
      }
    } finally {
      site.leave();
    }
  }

  void releaseRead(Thread owner) {
    LockSite site = LockSite.enter(siteKey);
    try {
      ClientHolds holds;
      site.mutex.lock();
      try {
        holds = site.clients.get(clientID);
        if (holds == null || (holds.readHolds.isEmpty() && !holds.dbRead && !holds.busy)) {
          holds = null; // as in releaseWrite: no local reader, ask MongoDB
        } else {
          Integer count = holds.readHolds.get(owner);
          if (count == null) {
            site.forgetIfIdle(clientID);
            throw notHeld();
          }
          if (count > 1) {
            holds.readHolds.put(owner, count - 1);
            return;
          }
          holds.readHolds.remove(owner);
          if (!holds.readHolds.isEmpty()) {
            site.changed.signalAll();
            return;
          }
          holds.busy = true;
        }
      } finally {
        site.mutex.unlock();
      }
      try {
        releaseInMongo(LockMode.READ);
      } finally {
        if (holds != null) {
          site.mutex.lock();
          try {
            holds.busy = false;
            holds.dbRead = false;
            site.releases++;
            site.forgetIfIdle(clientID);
            site.changed.signalAll();
          } finally {
            site.mutex.unlock();
          }
        }
      }
    } finally {
      site.leave();
    }
  }

  private void releaseInMongo(LockMode mode) {
    boolean replyLost = false;
    for (int tries = 1; ; tries++) {
      try {
        LockStore.Released released =
            uninterrupted(mode == LockMode.WRITE ? store::releaseWrite : store::releaseRead);
        if (released == LockStore.Released.NOT_HELD && !replyLost) {
          throw notHeld();
        }
        // NOT_HELD after a lost reply: the lost attempt did release it.
        return;
      } catch (MongoException e) {
        if (LockStore.outcomeUnknown(e) && tries < ATTEMPTS_ON_LOST_REPLY) {
          replyLost = true;
          pauseBeforeRetry(tries);
          continue;
        }
        throw new LockReleaseException(
            "error releasing lock " + lockID + ": " + e.getMessage(), lockID, clientID, e);
      }
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
        if (holds == null) {
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

  private LockInterruptedException interrupted() {
    Thread.currentThread().interrupt();
    return new LockInterruptedException(
        "interrupted while waiting for lock " + lockID + " (client: " + clientID + ")", lockID,
        clientID, null);
  }
}
