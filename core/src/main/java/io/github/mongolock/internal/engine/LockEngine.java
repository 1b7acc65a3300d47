package io.github.mongolock.internal.engine;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import io.github.mongolock.internal.lease.LeaseKeeper;
import io.github.mongolock.internal.store.LockDocument;
import io.github.mongolock.internal.store.LockProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waiting, re-entry and hand-off for one mutex (one lock, client and collection). The local rules
 * live in {@link LocalHolds}, what differs between modes in {@link ModeRule}, the polling in {@link
 * AcquireLoop}, and every MongoDB command in the store package. Two levels:
 *
 * <ol>
 *   <li>In this JVM, per client ID: the threads of one client exclude each other like a {@link
 *       java.util.concurrent.locks.ReentrantReadWriteLock}; only the first reader and the last
 *       reader of a client, and its writer, talk to MongoDB.
 *   <li>In MongoDB, per client ID: one conditional write per state change ({@link MutexStore}).
 * </ol>
 *
 * <p>Leases: a granted MongoDB hold is recorded with the lease keeper that renews it. When the
 * keeper gives a lease up, {@link EngineRuntime} marks the holds lost and calls the listeners; from
 * then on the holds report not held, re-entry and {@link #fencingToken} fail with {@link
 * LockFailure.Kind#LOST}, and each unlock does too, after releasing locally and removing this
 * process's expired entry from the document if it is still there.
 *
 * <p>A release whose reply may have been lost is sent again (releases are safe to resend: a second
 * finds nothing, which after a lost reply means the first one released).
 */
public final class LockEngine {

  private static final Logger LOG = LoggerFactory.getLogger(LockEngine.class);

  final EngineRuntime runtime;
  final MutexStore store;
  final EngineSettings settings;
  final String lockID;
  final String clientID;
  private final String siteKey;
  private final List<LossListener> listeners;

  public LockEngine(
      EngineRuntime runtime,
      MongoCollection<Document> collection,
      String lockID,
      String clientID,
      EngineSettings settings,
      List<LossListener> listeners) {
    this.runtime = runtime;
    this.settings = settings;
    this.lockID = lockID;
    this.clientID = clientID;
    this.listeners = listeners;
    this.store = new MutexStore(runtime, collection, lockID, clientID, settings);
    this.siteKey = LockSite.keyOf(collection.getNamespace().getFullName(), lockID);
  }

  // ------------------------------------------------------------------------------- acquire

  /**
   * Acquires {@code mode} for the current thread; false when the wait ran out (a single attempt
   * that found the lock held included). A granted hold carries {@code tag} (the API's watches of
   * it; null for none) until the release that ends it returns it.
   */
  public boolean acquire(ModeRule mode, Wait wait, Object tag) {
    runtime.checkOpen(lockID, clientID);
    try {
      // bounded like the wait's commands: a timed wait must not outlast its bound setting up
      store.ensureIndex(AcquireLoop.commandMillis(wait, store.commandMillis()));
    } catch (MongoException e) {
      throw acquireFailed(e);
    }
    Thread me = Thread.currentThread();
    LockSite site = runtime.enter(siteKey, lockID);
    List<Runnable> lossNotices = List.of();
    try {
      LocalHolds holds;
      boolean otherModeHeld;
      site.mutex.lock();
      try {
        holds = site.client(clientID);
        lossNotices = loseIfOverdue(holds);
        switch (mode.enter(holds, me)) {
          case REENTERED:
            holds.pushTag(mode, me, tag);
            return true;
          case LOST:
            throw lost(holds);
          case UPGRADE_REFUSED:
            site.forgetIfIdle(clientID);
            throw new LockFailure(
                LockFailure.Kind.UPGRADE_REFUSED,
                "cannot upgrade lock "
                    + lockID
                    + " from read to write for client: "
                    + clientID
                    + " (this thread holds the read lock; release it first)",
                lockID,
                clientID,
                null);
          case WAIT_FOR_TURN:
            break;
        }
        LocalHolds.Turn turn = awaitTurn(site, holds, mode, me, wait);
        if (turn == null) {
          return false;
        }
        switch (turn) {
          case LOST:
            throw lost(holds); // a downgrade of a lost write hold
          case JOINED:
            holds.pushTag(mode, me, tag);
            return true;
          default:
            otherModeHeld = holds.holdsOtherInMongo(mode);
        }
      } finally {
        site.mutex.unlock();
      }
      lossNotices.forEach(Runnable::run);
      lossNotices = List.of();
      return acquireFirstHold(site, holds, mode, me, otherModeHeld, wait, tag);
    } finally {
      lossNotices.forEach(Runnable::run);
      runtime.leave(site);
    }
  }

  /**
   * Caller holds the site's mutex: before a thread re-enters, joins, releases or fences a hold, a
   * hold whose lease is overdue by this JVM's monotonic clock (which goes on while the process is
   * stopped) is marked lost, so that a process resuming after a pause past its lease does not hand
   * the hold out before its watch thread has run. Decided under the mutex, so that of several
   * threads arriving at once none slips past. Returns the listener calls to make afterwards, and
   * the keeper stops renewing the lease.
   */
  private List<Runnable> loseIfOverdue(LocalHolds holds) {
    if (!holds.settledHold() || holds.lease() == null || !holds.lease().overdue(lockID)) {
      return List.of();
    }
    List<Runnable> notices =
        new ArrayList<>(
            markLost(
                holds,
                "its lease was not confirmed within the lease time of "
                    + settings.leaseTime().toMillis()
                    + " ms (was the process paused?)"));
    LeaseKeeper keeper = holds.lease();
    notices.add(() -> keeper.expireIfOverdue(lockID));
    return notices;
  }

  /**
   * Caller holds the site's mutex: waits for the thread's local turn; null when the wait ran out.
   */
  private LocalHolds.Turn awaitTurn(
      LockSite site, LocalHolds holds, ModeRule mode, Thread me, Wait wait) {
    boolean turned = false;
    try {
      LocalHolds.Turn turn;
      while ((turn = mode.takeTurn(holds, me)) == LocalHolds.Turn.NOT_YET) {
        if (!wait.await(site.changed)) {
          return null;
        }
      }
      turned = true;
      return turn;
    } catch (InterruptedException e) {
      throw interrupted();
    } finally {
      if (!turned) {
        mode.stopWaiting(holds);
        // readers of this client that waited behind this writer may go on
        site.changed.signalAll();
        site.forgetIfIdle(clientID);
      }
    }
  }

  /**
   * The MongoDB part of a client's first local hold in {@code mode}: the holds are busy (and, for a
   * write, reserved for {@code me}) while MongoDB is asked; then the hold is recorded, or the
   * reservation undone, and the other threads of the site are woken.
   */
  private boolean acquireFirstHold(
      LockSite site,
      LocalHolds holds,
      ModeRule mode,
      Thread me,
      boolean otherModeHeld,
      Wait wait,
      Object tag) {
    boolean acquired = false;
    List<Runnable> notices = List.of();
    AcquireLoop loop = new AcquireLoop(this, site, mode, otherModeHeld, wait);
    try {
      acquired = loop.run();
    } finally {
      boolean undo = !acquired && loop.undoInBackground;
      site.mutex.lock();
      try {
        mode.acquired(holds, me, acquired);
        if (acquired) {
          holds.pushTag(mode, me, tag);
          if (holds.granted(store.lease(), listeners, store)) {
            notices = markLost(holds, "its lease expired while it was being acquired");
          }
        } else if (undo) {
          holds.busyWithCleanUp();
        } else {
          site.forgetIfIdle(clientID);
        }
        site.changed.signalAll();
      } finally {
        site.mutex.unlock();
      }
      if (undo) {
        runtime.cleanUpInBackground(site, holds, store, mode, otherModeHeld);
      }
      notices.forEach(Runnable::run);
    }
    return acquired;
  }

  // ------------------------------------------------------------------------------- release

  /**
   * Releases one hold of {@code mode} by {@code owner}: the one whose acquire was given {@code
   * expected} when that is not null (a handle's), else the newest. Returns the tag of the hold
   * released, or null. A failure that ended the hold all the same (it was lost, or MongoDB failed
   * and the release goes on in the background) carries that tag in {@link LockFailure#hold()}.
   */
  public Object release(ModeRule mode, Thread owner, Object expected) {
    LockSite site = runtime.enter(siteKey, lockID);
    List<Runnable> lossNotices = List.of();
    Object tag = null;
    try {
      LocalHolds holds;
      LocalHolds.Exit exit;
      boolean holdsOtherMode = false;
      site.mutex.lock();
      try {
        holds = site.clients.get(clientID);
        // a hold whose lease is overdue (a pause) is reported lost by every unlock, not the last
        lossNotices = holds == null ? List.of() : loseIfOverdue(holds);
        exit =
            holds == null
                ? LocalHolds.Exit.of(LocalHolds.Exit.Kind.NOT_LOCAL)
                : mode.exit(holds, owner);
        switch (exit.kind()) {
          case NOT_LOCAL:
            // No thread of this JVM holds it for this client: the seed's behaviour, release what
            // MongoDB says this client holds (for example after a restart with the same client ID).
            holdsOtherMode =
                holds != null
                    && (mode.isWrite()
                        ? holds.isReadLockedBy(owner)
                        : holds.isWriteLockedBy(owner));
            holds = null;
            break;
          case NOT_OWNER:
            site.forgetIfIdle(clientID);
            throw new LockFailure(
                LockFailure.Kind.NOT_HELD,
                "lock "
                    + lockID
                    + " is not held by this thread: another thread of client "
                    + clientID
                    + " holds it or is acquiring it (unlock on the thread that locked it, or"
                    + " close its LockHandle, which any thread may do)",
                lockID,
                clientID,
                null);
          case STILL_HELD:
            tag = holds.popTag(mode, owner, expected);
            site.changed.signalAll();
            if (exit.wasLost()) {
              throw lost(holds).withHold(tag);
            }
            return tag;
          case MUST_RELEASE:
            tag = holds.popTag(mode, owner, expected);
            break;
        }
      } finally {
        site.mutex.unlock();
      }
      lossNotices.forEach(Runnable::run);
      lossNotices = List.of();
      try {
        releaseLastHold(site, holds, mode, exit.wasLost(), exit.keepEntry());
        return tag;
      } catch (LockFailure f) {
        if (holdsOtherMode && f.kind() == LockFailure.Kind.NOT_HELD) {
          // the seed's message, and what the caller does hold: the unlock of the other mode
          throw new LockFailure(
              LockFailure.Kind.NOT_HELD,
              f.getMessage()
                  + (mode.isWrite()
                      ? " in write mode (this thread holds the read lock: rUnlock() releases it)"
                      : " in read mode (this thread holds the write lock: unlock() releases it)"),
              lockID,
              clientID,
              null);
        }
        throw f.withHold(tag);
      }
    } finally {
      lossNotices.forEach(Runnable::run);
      runtime.leave(site);
    }
  }

  /**
   * The MongoDB part of a client's last local hold in {@code mode}: {@code holds} (null for the
   * seed's release of what MongoDB says this client holds) stays busy until MongoDB has answered;
   * then the mode is cleared locally whatever MongoDB said, listeners are told, and a hold that was
   * lost fails with {@link LockFailure.Kind#LOST}.
   */
  private void releaseLastHold(
      LockSite site, LocalHolds holds, ModeRule mode, boolean wasLost, boolean keepEntry) {
    List<Runnable> notices = List.of();
    boolean failed = false;
    try {
      notices = releaseInMongo(site, holds, mode, wasLost, keepEntry);
    } catch (LockFailure f) {
      failed = f.kind() == LockFailure.Kind.RELEASE_FAILED;
      throw f;
    } finally {
      if (holds != null) {
        site.mutex.lock();
        try {
          mode.released(holds);
          if (failed) {
            holds.busyWithCleanUp(); // released locally; MongoDB is retried in the background
          } else {
            site.forgetIfIdle(clientID);
          }
          site.wakePoller();
        } finally {
          site.mutex.unlock();
        }
        if (failed) {
          runtime.cleanUpInBackground(site, holds, store, mode, keepEntry);
        }
      }
      notices.forEach(Runnable::run);
    }
    if (wasLost) {
      throw lost(holds);
    }
  }

  /**
   * Releases in MongoDB. A lost hold is only cleaned up (where this process's lease entry is still
   * there), best effort; the caller reports the loss. A leased hold that MongoDB no longer shows
   * was lost too: returns the notices to give and fails with {@link LockFailure.Kind#LOST}.
   */
  private List<Runnable> releaseInMongo(
      LockSite site, LocalHolds holds, ModeRule mode, boolean wasLost, boolean keepEntry) {
    if (wasLost) {
      try {
        uninterrupted(() -> store.cleanUpLost(mode, keepEntry, store.releaseDeadline()));
      } catch (RuntimeException e) {
        // MongoDB unreachable (or the client closed): the entry expires with its lease, which
        // nothing renews, and whoever needs the lock evicts it
        store.lease().abandon(lockID);
      }
      return List.of();
    }
    boolean replyLost = false;
    Wait deadline = store.releaseDeadline(); // the whole unlock, its steps and retries included
    for (int tries = 1; ; tries++) {
      try {
        MutexStore.Released released =
            uninterrupted(
                () ->
                    keepEntry
                        ? store.releaseKeepingEntry(mode, deadline)
                        : store.release(mode, deadline));
        if (released == MutexStore.Released.NOT_HELD && !replyLost) {
          if (holds == null) {
            throw new LockFailure(
                LockFailure.Kind.NOT_HELD,
                "lock " + lockID + " not currently held by client: " + clientID,
                lockID,
                clientID,
                null);
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
        if (LockProtocol.outcomeUnknown(e)
            && tries < AcquireLoop.ATTEMPTS_ON_LOST_REPLY
            && !deadline.isOver()) {
          replyLost = true;
          pauseBeforeRetry(tries);
          continue;
        }
        // the document may still name this client: stop renewing it, so that it expires
        store.lease().abandon(lockID);
        throw LockFailure.error(
            LockFailure.Kind.RELEASE_FAILED, "releasing", lockID, clientID, e.getMessage(), e);
      }
    }
  }

  // ------------------------------------------------------------------------------- leases

  /**
   * Caller holds the site's mutex: marks the holds lost and returns the listener calls to make once
   * the mutex is released.
   */
  static List<Runnable> markLost(LocalHolds holds, String reason) {
    List<Runnable> notices = new ArrayList<>();
    for (ModeRule mode : holds.markLost(reason)) {
      notices.add(
          () ->
              LOG.warn(
                  "lock {} was lost by client {} ({} mode): {}",
                  holds.lockID,
                  holds.clientID,
                  mode.word(),
                  reason));
      for (LossListener listener : holds.listeners()) {
        notices.add(
            () -> {
              try {
                listener.lockLost(holds.lockID, holds.clientID, mode, reason);
              } catch (RuntimeException e) {
                // a listener's failure must not stop the others, nor the heartbeat
                LOG.debug("a lock-lost listener of lock {} failed", holds.lockID, e);
              }
            });
      }
    }
    return notices;
  }

  /** The current write hold's fencing token, issued on first call. */
  public long fencingToken(Thread owner) {
    LockSite site = runtime.enter(siteKey, lockID);
    List<Runnable> lossNotices = List.of();
    try {
      LocalHolds holds;
      site.mutex.lock();
      try {
        holds = site.clients.get(clientID);
        lossNotices = holds == null ? List.of() : loseIfOverdue(holds);
        if (holds == null || !holds.writesOn(owner)) {
          throw new LockFailure(
              LockFailure.Kind.ILLEGAL_STATE,
              "no fencing token: the thread does not hold the write lock "
                  + lockID
                  + " (client: "
                  + clientID
                  + ")",
              lockID,
              clientID,
              null);
        }
        if (holds.isLost()) {
          throw lost(holds);
        }
        if (holds.fencingToken() > 0) {
          return holds.fencingToken();
        }
      } finally {
        site.mutex.unlock();
      }
      long token;
      try {
        token = uninterrupted(store::issueFencingToken);
      } catch (MongoException e) {
        throw LockFailure.error(
            LockFailure.Kind.ACQUIRE_FAILED,
            "issuing a fencing token for",
            lockID,
            clientID,
            e.getMessage(),
            e);
      }
      List<Runnable> notices = List.of();
      site.mutex.lock();
      try {
        if (token > 0 && !holds.isLost()) {
          holds.fencingToken(token);
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
      lossNotices.forEach(Runnable::run);
      runtime.leave(site);
    }
  }

  // ------------------------------------------------------------------------------- queries

  /** Whether {@code thread} holds {@code mode} (and the hold is not lost). */
  public boolean isLockedBy(ModeRule mode, Thread thread) {
    LockSite site = runtime.enter(siteKey, lockID);
    try {
      site.mutex.lock();
      try {
        LocalHolds holds = site.clients.get(clientID);
        return holds != null
            && (mode.isWrite() ? holds.isWriteLockedBy(thread) : holds.isReadLockedBy(thread));
      } finally {
        site.mutex.unlock();
      }
    } finally {
      runtime.leave(site);
    }
  }

  // ------------------------------------------------------------------------------- admin

  /** Creates the indexes unless the settings turn that off. */
  public void ensureIndex() {
    store.ensureIndex();
  }

  /** The seed's override: see {@link io.github.mongolock.internal.store.LockCommands}. */
  public LockProtocol.Outcome overrideWriter(String oldWriter, boolean upsert) {
    return store.overrideWriter(oldWriter, upsert);
  }

  /** The stored document, or null. */
  public LockDocument read() {
    return store.read(store.commandMillis());
  }

  /** The keeper of this mutex's leases (for tests and the API's test hooks). */
  public LeaseKeeper leaseKeeper() {
    return store.lease();
  }

  // ------------------------------------------------------------------------------- failures

  LockFailure lost(LocalHolds holds) {
    String reason = holds == null ? null : holds.lostReason();
    return new LockFailure(
        LockFailure.Kind.LOST,
        "lock "
            + lockID
            + " was lost by client: "
            + clientID
            + " ("
            + (reason == null ? "lease expired" : reason)
            + ")",
        lockID,
        clientID,
        null);
  }

  LockFailure interrupted() {
    Thread.currentThread().interrupt();
    return new LockFailure(
        LockFailure.Kind.INTERRUPTED,
        "interrupted while waiting for lock " + lockID + " (client: " + clientID + ")",
        lockID,
        clientID,
        null);
  }

  LockFailure acquireFailed(MongoException e) {
    return LockFailure.error(
        LockFailure.Kind.ACQUIRE_FAILED, "acquiring", lockID, clientID, e.getMessage(), e);
  }

  /**
   * An acquire that fails because the lock document has fields of the wrong type ({@code problems}
   * of {@link LockDocument}): nothing was changed, and waiting would not help.
   */
  LockFailure malformed(List<String> problems, MongoException cause) {
    return new LockFailure(
        LockFailure.Kind.ACQUIRE_FAILED,
        "error acquiring lock "
            + lockID
            + ": its document in "
            + store.collection().getNamespace().getFullName()
            + " has fields of the wrong type, which this library neither interprets nor"
            + " overwrites ("
            + String.join("; ", problems)
            + "); fix or delete the document (client: "
            + clientID
            + ")",
        lockID,
        clientID,
        cause);
  }

  static void pauseBeforeRetry(int tries) {
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10L * tries));
  }

  /**
   * Runs a release or clean-up with the interrupt flag cleared, then sets it again: the driver
   * refuses to work on an interrupted thread, and a release in a finally block must not be lost
   * because the thread was interrupted.
   */
  static <T> T uninterrupted(Supplier<T> operation) {
    boolean interrupted = Thread.interrupted();
    try {
      return operation.get();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
