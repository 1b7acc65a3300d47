package io.github.mongolock.examples;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Measures how long each call waited for its lock: from the caller's {@link #start()} to the first
 * access of the {@link Shelf} inside the lock. Includes the MongoDB round trips of an uncontended
 * acquire (a millisecond or two), so only waits of {@link #THRESHOLD_MS} or more count as "waited".
 */
final class LockWaits {

  static final long THRESHOLD_MS = 5;

  private static final ThreadLocal<Long> STARTED = new ThreadLocal<>();
  static final LongAdder WAITED = new LongAdder();
  static final AtomicLong MAX_WAIT_NANOS = new AtomicLong();

  private LockWaits() {}

  static void reset() {
    WAITED.reset();
    MAX_WAIT_NANOS.set(0);
  }

  static void start() {
    STARTED.set(System.nanoTime());
  }

  /** Called by the shelf on access; counts only the first access of a call. */
  static void entered() {
    Long started = STARTED.get();
    if (started == null) {
      return;
    }
    STARTED.remove();
    long waited = System.nanoTime() - started;
    MAX_WAIT_NANOS.accumulateAndGet(waited, Math::max);
    if (waited >= TimeUnit.MILLISECONDS.toNanos(THRESHOLD_MS)) {
      WAITED.increment();
    }
  }
}
