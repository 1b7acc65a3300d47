package io.github.mongolock.internal.engine;

import java.time.Duration;
import java.util.concurrent.locks.Condition;

/** How long an acquire may wait: one attempt, until a deadline, or for ever. */
public final class Wait {

  private static final Wait ONCE = new Wait(0, false);
  private static final Wait FOREVER = new Wait(0, true);

  private final long deadlineNanos;
  private final boolean forever;

  private Wait(long deadlineNanos, boolean forever) {
    this.deadlineNanos = deadlineNanos;
    this.forever = forever;
  }

  public static Wait once() {
    return ONCE;
  }

  public static Wait forever() {
    return FOREVER;
  }

  public static Wait upTo(Duration timeout) {
    if (timeout.isZero()) {
      return ONCE;
    }
    long nanos = saturatedNanos(timeout);
    return nanos == Long.MAX_VALUE ? FOREVER : new Wait(System.nanoTime() + nanos, false);
  }

  private static long saturatedNanos(Duration d) {
    try {
      long nanos = d.toNanos();
      // keep System.nanoTime() + nanos from overflowing
      return nanos > Long.MAX_VALUE / 4 ? Long.MAX_VALUE : nanos;
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  public boolean isOnce() {
    return this == ONCE;
  }

  /** Nanoseconds left; Long.MAX_VALUE for ever, 0 or less when over. */
  public long remainingNanos() {
    if (forever) {
      return Long.MAX_VALUE;
    }
    if (this == ONCE) {
      return 0;
    }
    return deadlineNanos - System.nanoTime();
  }

  public boolean isOver() {
    return remainingNanos() <= 0;
  }

  /**
   * Waits on {@code condition} (whose lock the caller holds) until signalled, at most {@code
   * pauseNanos} and never past the deadline. Returns false when the deadline has passed.
   */
  boolean await(Condition condition, long pauseNanos) throws InterruptedException {
    long left = remainingNanos();
    if (left <= 0) {
      return false;
    }
    long pause = Math.min(left, pauseNanos);
    if (pause == Long.MAX_VALUE) {
      condition.await();
    } else {
      condition.awaitNanos(pause);
    }
    return !isOver();
  }

  /** Waits on {@code condition} until signalled or the deadline; false when the deadline passed. */
  boolean await(Condition condition) throws InterruptedException {
    return await(condition, Long.MAX_VALUE);
  }
}
