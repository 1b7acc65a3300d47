package io.github.mongolock.internal.engine;

import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.MongoWriteException;
import io.github.mongolock.internal.store.LockDocument;
import io.github.mongolock.internal.store.LockProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The MongoDB part of a client's first hold of a mode: one attempt, then (unless the wait is a
 * single attempt) polling as the lock's only poller in this JVM until granted or the wait is over.
 *
 * <ol>
 *   <li>The first attempt judges the server's clock too (the clock-aware update after the upsert's
 *       11000): a lock free by {@code expiresAt} or a lapsed mark, or a compatible hold another
 *       client's upsert created an instant ago, is taken at once.
 *   <li>A single attempt then looks once for holders whose leases have expired by this host's clock
 *       ({@link EvictionCheck}), and tries again if that changed something.
 *   <li>Otherwise the thread waits to be the site's poller (the others wait for its turn, so a
 *       hundred waiting threads send the commands of one), and loops: the chores that are due (the
 *       {@link EvictionCheck}, the {@link WaitingMark}), a pause from the {@link Backoff} cut short
 *       by a local release or a change-stream event, and a plain attempt (the upsert alone: a held
 *       lock costs one command per poll).
 * </ol>
 *
 * <p>An attempt whose reply may have been lost is sent again (both acquire commands are safe to
 * resend); an attempt that keeps losing replies, or is interrupted, undoes what it may have taken.
 */
final class AcquireLoop {

  static final int ATTEMPTS_ON_LOST_REPLY = 3;

  /** How long a wait that is over may still spend removing its writer-waiting mark. */
  private static final long CLEAR_AFTER_DEADLINE_MILLIS = 100;

  /** The shortest timeout a command is sent with. */
  private static final long MIN_COMMAND_MILLIS = 10;

  private static final long EVICTION_CHECK_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final LockEngine engine;
  private final MutexStore store;
  private final EngineSettings settings;
  private final LockSite site;
  private final ModeRule mode;
  private final boolean otherModeHeld;
  private final Wait wait;

  /** The site's release count when this thread became its poller. */
  private long releasesAtTurn;

  /**
   * Set when a command whose outcome is unknown ended a timed wait: what it may have taken is
   * undone in the background, so that the caller returns at its bound.
   */
  boolean undoInBackground;

  AcquireLoop(LockEngine engine, LockSite site, ModeRule mode, boolean otherModeHeld, Wait wait) {
    this.engine = engine;
    this.store = engine.store;
    this.settings = engine.settings;
    this.site = site;
    this.mode = mode;
    this.otherModeHeld = otherModeHeld;
    this.wait = wait;
  }

  boolean run() {
    if (attempt(true)) {
      return true;
    }
    if (wait.isOnce()) {
      try {
        return new EvictionCheck(false, null).run() != Suggestion.NOTHING && attempt(true);
      } catch (MongoInterruptedException e) {
        throw engine.interrupted();
      } catch (MongoException e) {
        if (LockProtocol.outcomeUnknown(e)) {
          undoPossibleAcquire(); // a read takeover may have been applied
        }
        throw engine.acquireFailed(e);
      }
    }
    Boolean waitedForTurn = becomePoller();
    if (waitedForTurn == null) {
      return false;
    }
    return poll(waitedForTurn);
  }

  /** Waits to be the site's poller; true when it had to wait, null when the wait ran out. */
  private Boolean becomePoller() {
    boolean waited = false;
    site.mutex.lock();
    try {
      while (site.poller != null) {
        waited = true;
        if (!wait.await(site.changed)) {
          return null;
        }
      }
      site.poller = Thread.currentThread();
      releasesAtTurn = site.releases;
      return waited;
    } catch (InterruptedException e) {
      throw engine.interrupted();
    } finally {
      site.mutex.unlock();
    }
  }

  private boolean poll(boolean waitedForTurn) {
    long releasesSeen = releasesAtTurn;
    boolean acquired = false;
    WaitingMark mark = mode.marksWaiting(settings) ? new WaitingMark() : null;
    ChangeWatch.Waiter watching = null;
    try {
      if (settings.changeStreams()) {
        watching = engine.runtime.watch(store.collection()).waiting(site, store.collection());
      }
      if (waitedForTurn && attempt(true)) {
        acquired = true;
        return true;
      }
      EvictionCheck eviction = new EvictionCheck(true, watching);
      Backoff backoff = new Backoff();
      while (true) {
        long now = System.nanoTime();
        Suggestion suggestion = eviction.runIfDue(now);
        if (suggestion == Suggestion.TAKE_OVER && mode.takesOverExpired()) {
          if (store.tryTakeOverExpiredForRead(commandMillis())) {
            acquired = true;
            return true;
          }
        }
        if (suggestion != Suggestion.NOTHING && attempt(true)) {
          acquired = true;
          return true;
        }
        if (mark != null) {
          mark.refreshIfDue(now);
        }
        if (!pauseUnlessReleased(backoff.nextPauseNanos(), releasesSeen)) {
          return false;
        }
        releasesSeen = releasesNow();
        if (attempt(false)) {
          acquired = true;
          return true;
        }
      }
    } catch (MongoInterruptedException e) {
      undoPossibleAcquire();
      throw engine.interrupted();
    } catch (MongoException e) {
      // a chore failed; a read takeover among them may have been applied
      if (LockProtocol.outcomeUnknown(e)) {
        if (deadlinePassed()) {
          undoInBackground = true;
          return false;
        }
        if (timed()) {
          undoInBackground = true;
        } else {
          undoPossibleAcquire();
        }
      }
      throw engine.acquireFailed(e);
    } finally {
      if (watching != null) {
        watching.close();
      }
      if (mark != null && !acquired) {
        mark.clear();
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

  /**
   * One attempt, sent again when the reply may have been lost; each command bounded by {@link
   * #commandMillis()}. When the wait is over with the outcome unknown, the attempt reports "not
   * granted" and leaves the undo to the background.
   */
  private boolean attempt(boolean judgeClock) {
    for (int tries = 1; ; tries++) {
      try {
        return store.tryAcquire(mode, judgeClock, commandMillis());
      } catch (MongoInterruptedException e) {
        undoPossibleAcquire();
        throw engine.interrupted();
      } catch (MongoException e) {
        if (!LockProtocol.outcomeUnknown(e)) {
          throw refused(e);
        }
        if (deadlinePassed()) {
          undoInBackground = true;
          return false;
        }
        if (tries < ATTEMPTS_ON_LOST_REPLY) {
          LockEngine.pauseBeforeRetry(tries);
          continue;
        }
        if (timed()) {
          undoInBackground = true; // a foreground undo could outlast the wait's bound
        } else {
          undoPossibleAcquire();
        }
        throw engine.acquireFailed(e);
      }
    }
  }

  /**
   * The failure of an attempt that MongoDB refused: when it refused to apply the update to the
   * document (a write error), the document is read to tell whether a field of the wrong type was
   * why, and the failure names it.
   */
  private LockFailure refused(MongoException e) {
    if (e instanceof MongoWriteException) {
      try {
        LockDocument doc = store.read(commandMillis());
        if (doc != null && !(doc.problems().isEmpty() && doc.nullFields().isEmpty())) {
          List<String> problems = new ArrayList<>(doc.problems());
          problems.addAll(doc.nullFields());
          return engine.malformed(problems, e);
        }
      } catch (MongoException unreadable) {
        e.addSuppressed(unreadable);
      }
    }
    return engine.acquireFailed(e);
  }

  /**
   * The bound of the next command: what is left of a timed wait, at most {@code commandTimeout}
   * (which alone bounds single attempts and waits for ever); at least 1 ms.
   */
  private long commandMillis() {
    return commandMillis(wait, store.commandMillis());
  }

  /** The bound of a command sent for {@code wait}, given {@code commandTimeout} in ms. */
  static long commandMillis(Wait wait, long command) {
    long left = wait.remainingNanos();
    if (wait.isOnce() || left == Long.MAX_VALUE) {
      return command;
    }
    return Math.max(MIN_COMMAND_MILLIS, Math.min(command, TimeUnit.NANOSECONDS.toMillis(left)));
  }

  /** A wait with a deadline (not a single attempt, not for ever). */
  private boolean timed() {
    return !wait.isOnce() && wait.remainingNanos() != Long.MAX_VALUE;
  }

  /**
   * A timed wait with too little left for a round trip: the driver refuses to send a command whose
   * timeout is below the server's round-trip time, so what is left counts as over.
   */
  private boolean deadlinePassed() {
    long left = wait.remainingNanos();
    return !wait.isOnce()
        && left != Long.MAX_VALUE
        && left < TimeUnit.MILLISECONDS.toNanos(MIN_COMMAND_MILLIS);
  }

  /**
   * The last attempt may have been applied: release what it may have taken, if MongoDB lets us. A
   * downgrade's undo keeps the lease entry, which the write hold still needs.
   */
  private void undoPossibleAcquire() {
    try {
      Wait deadline = store.releaseDeadline();
      LockEngine.uninterrupted(
          () ->
              otherModeHeld
                  ? store.releaseKeepingEntry(mode, deadline)
                  : store.release(mode, deadline));
    } catch (MongoException e) {
      // MongoDB is unreachable; the lock document may still name this client, as after a crash:
      // nothing renews that lease, so it runs out
      store.lease().abandon(engine.lockID);
    }
  }

  /**
   * Sleeps up to pauseNanos, or less when a local release happens or the change stream reports a
   * change; returns at once when that happened since {@code releasesBefore} was read (before the
   * last attempt), so that a release during the attempt is not slept through. False once the wait
   * is over.
   */
  private boolean pauseUnlessReleased(long pauseNanos, long releasesBefore) {
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
      throw engine.interrupted();
    } finally {
      site.mutex.unlock();
    }
  }

  private long releasesNow() {
    site.mutex.lock();
    try {
      return site.releases;
    } finally {
      site.mutex.unlock();
    }
  }

  // ------------------------------------------------------------------------------ chores

  /** What the look at the lock document suggests the waiting acquire does next. */
  enum Suggestion {
    /** Nothing the next plain attempt would not see. */
    NOTHING,
    /** Holders were evicted, or a condition on the server's clock may now free the lock. */
    ATTEMPT_JUDGING_CLOCK,
    /** As above, and the document has an expiresAt: a reader may take it over once passed. */
    TAKE_OVER
  }

  /**
   * Every {@code max(sleepTime, min(250 ms, leaseTime / 10))}: reads the document, evicts holders
   * whose leases look expired (the eviction's filter decides with the server's clock), removes
   * orphan lease keys, and tells the change stream which document the poller waits for. The plain
   * upsert cannot judge {@code expiresAt} or a lapsed writer-waiting mark (no {@code $$NOW} in an
   * upsert): when the document has either, the suggestion is to judge the clock.
   */
  final class EvictionCheck {
    private final LeaseObserver observer;
    private final ChangeWatch.Waiter watching;
    private final long periodNanos;
    private long last;

    EvictionCheck(boolean patient, ChangeWatch.Waiter watching) {
      this.observer = new LeaseObserver(patient);
      this.watching = watching;
      this.periodNanos =
          Math.max(
              settings.sleepTime().toNanos(),
              Math.min(EVICTION_CHECK_MAX_NANOS, settings.leaseTime().toNanos() / 10));
    }

    Suggestion runIfDue(long now) {
      if (last != 0 && now - last < periodNanos) {
        return Suggestion.NOTHING;
      }
      last = now;
      return run();
    }

    Suggestion run() {
      long ms = commandMillis();
      LockDocument doc = store.read(ms);
      if (watching != null) {
        watching.documentRead(doc);
      }
      if (doc == null) {
        return Suggestion.NOTHING;
      }
      if (!doc.problems().isEmpty()) {
        // a holder this library cannot see: neither wait for it nor evict from the document
        throw engine.malformed(doc.problems(), null);
      }
      Set<String> expired = observer.expired(doc);
      boolean evicted = !expired.isEmpty() && store.evictExpired(doc, expired, ms);
      if (!evicted && !doc.orphanLeases().isEmpty()) {
        store.sweepOrphanLeases(doc, ms);
      }
      if (doc.expiresAt() != null) {
        return Suggestion.TAKE_OVER;
      }
      return evicted || doc.markedByOtherThan(engine.clientID)
          ? Suggestion.ATTEMPT_JUDGING_CLOCK
          : Suggestion.NOTHING;
    }
  }

  /**
   * Writer preference: a waiting writer marks the lock (server clock) and refreshes the mark every
   * third of {@code writerWaitingTtl}, so that it lapses by itself if this process dies; an acquire
   * that ends without the lock removes it.
   */
  final class WaitingMark {
    private final long everyNanos = settings.writerWaitingTtl().toNanos() / 3;
    private boolean marked;
    private long last;

    void refreshIfDue(long now) {
      if (!marked || now - last >= everyNanos) {
        marked = true; // before the call: an interrupted call may still have set the mark
        store.markWriterWaiting(commandMillis());
        last = now;
      }
    }

    /**
     * Removes the mark, within what is left of a timed wait; once that is over, in the background
     * (a waiting writer must not outlast its bound to tidy up). A mark that cannot be removed
     * lapses by itself after writerWaitingTtl.
     */
    void clear() {
      if (!marked) {
        return;
      }
      // once the wait is over, only a short try (a healthy server answers in a millisecond)
      boolean over = deadlinePassed();
      long ms = over ? CLEAR_AFTER_DEADLINE_MILLIS : commandMillis();
      try {
        LockEngine.uninterrupted(
            () -> {
              store.clearWriterWaiting(ms);
              return null;
            });
      } catch (MongoException e) {
        if (over) {
          engine.runtime.inBackground(() -> clearQuietly(store.commandMillis()));
        }
        // else the mark lapses by itself after writerWaitingTtl
      }
    }

    private void clearQuietly(long ms) {
      try {
        store.clearWriterWaiting(ms);
      } catch (MongoException ignored) {
        // the mark lapses by itself after writerWaitingTtl
      }
    }
  }

  /** Pauses from {@code minSleepTime} doubling up to {@code sleepTime}, each with jitter. */
  final class Backoff {
    private final long maxNanos = settings.sleepTime().toNanos();
    private long sleepNanos = settings.minSleepTime().toNanos();

    long nextPauseNanos() {
      long pause = sleepNanos / 2 + ThreadLocalRandom.current().nextLong(sleepNanos / 2 + 1);
      sleepNanos = Math.min(maxNanos, sleepNanos * 2);
      return pause;
    }
  }
}
