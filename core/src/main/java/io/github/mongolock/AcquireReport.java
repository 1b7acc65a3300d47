package io.github.mongolock;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LockListener}s' watches of one acquire call and, once it is granted, of the hold it
 * granted. Made only while a runtime has listeners; the engine keeps it with the hold (as its tag)
 * and hands it back to the release that ends the hold, which reports the end to the hold watches.
 * Every listener call is guarded: what a listener throws is logged at DEBUG and never changes the
 * lock call's outcome, nor stops the other listeners (see {@link #ignore}).
 */
final class AcquireReport {

  private static final Logger LOG = LoggerFactory.getLogger(LockListener.class);

  private final LockEvent lock;
  private final LockListener.AcquireWatch[] acquireWatches;

  /**
   * Set by the acquiring thread after the engine has recorded the hold; read by the thread that
   * ends it, which may be another one (a {@link LockHandle} closed elsewhere).
   */
  private volatile LockListener.HoldWatch[] holdWatches;

  private AcquireReport(LockEvent lock, LockListener.AcquireWatch[] acquireWatches) {
    this.lock = lock;
    this.acquireWatches = acquireWatches;
  }

  /** Tells each listener that an acquire of {@code lock} begins. */
  static AcquireReport start(List<LockListener> listeners, LockEvent lock) {
    LockListener.AcquireWatch[] watches = new LockListener.AcquireWatch[listeners.size()];
    int n = 0;
    for (LockListener listener : listeners) {
      if (n == watches.length) {
        break; // added meanwhile: told from the next acquire on
      }
      LockListener.AcquireWatch watch = null;
      try {
        watch = listener.acquireStarted(lock);
      } catch (Throwable e) {
        failed("acquireStarted", lock, e);
      }
      watches[n++] = watch == null ? LockListener.AcquireWatch.NONE : watch;
    }
    for (; n < watches.length; n++) {
      watches[n] = LockListener.AcquireWatch.NONE; // removed meanwhile
    }
    return new AcquireReport(lock, watches);
  }

  /**
   * The acquire was granted: each watch's hold watch is kept for the end of the hold. Watches are
   * told in the reverse order of their starts, as nested scopes close: a listener that opened a
   * thread-local scope at the start (an observation) closes it after the ones opened after it.
   */
  void acquired() {
    LockListener.HoldWatch[] holds = new LockListener.HoldWatch[acquireWatches.length];
    for (int i = holds.length - 1; i >= 0; i--) {
      LockListener.HoldWatch hold = null;
      try {
        hold = acquireWatches[i].acquired();
      } catch (Throwable e) {
        failed("acquired", lock, e);
      }
      holds[i] = hold == null ? LockListener.HoldWatch.NONE : hold;
    }
    holdWatches = holds;
  }

  /** The acquire was not granted; watches told in the reverse order of their starts. */
  void notAcquired(AcquireOutcome outcome, Throwable cause) {
    for (int i = acquireWatches.length - 1; i >= 0; i--) {
      try {
        acquireWatches[i].notAcquired(outcome, cause);
      } catch (Throwable e) {
        failed("notAcquired", lock, e);
      }
    }
  }

  /** The hold ended; once per hold, as the engine hands its tag back once. */
  void ended(HoldEnd end, Throwable cause) {
    LockListener.HoldWatch[] holds = holdWatches;
    if (holds == null) {
      return; // not granted as far as the listeners know (cannot happen: acquired() runs first)
    }
    for (int i = holds.length - 1; i >= 0; i--) {
      try {
        holds[i].ended(end, cause);
      } catch (Throwable e) {
        failed("ended", lock, e);
      }
    }
  }

  private static void failed(String method, LockEvent lock, Throwable e) {
    ignore(e);
    LOG.debug(
        "a lock listener's {} failed for lock {} (client: {}); ignored",
        method,
        lock.lockID(),
        lock.clientID(),
        e);
  }

  /**
   * Lets a listener's failure go, whatever it is, except a {@link VirtualMachineError} (out of
   * memory, stack overflow), which is thrown on. Errors are caught too, and checked exceptions a
   * listener throws sneakily: a NoSuchMethodError from a metrics binding linked against another
   * Micrometer, or an AssertionError from a test probe, must not turn a granted acquire into a
   * throw that leaves the lock held with nobody to release it, nor cancel the heartbeat or the
   * lease watch, whose periodic tasks end at the first throw that leaves them.
   */
  static void ignore(Throwable e) {
    if (e instanceof VirtualMachineError fatal) {
      throw fatal;
    }
  }
}
