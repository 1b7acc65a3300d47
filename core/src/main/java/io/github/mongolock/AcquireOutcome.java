package io.github.mongolock;

import java.util.Locale;

/** How an acquire call ended, as reported to {@link LockListener}s. */
public enum AcquireOutcome {
  /** Granted. */
  ACQUIRED,
  /**
   * Not granted within the wait ({@code tryLock} returned false, or {@link LockTimeoutException}).
   */
  TIMEOUT,
  /** The waiting thread was interrupted ({@link LockInterruptedException}). */
  INTERRUPTED,
  /** A thread holding the read lock asked for the write lock ({@link LockUpgradeException}). */
  UPGRADE,
  /** Anything else: MongoDB failed or refused, bad stored state, a closed runtime. */
  ERROR;

  /**
   * The outcome as a metric tag value.
   *
   * @return the name in lower case: {@code acquired}, {@code timeout}, ...
   */
  public String tag() {
    return name().toLowerCase(Locale.ROOT);
  }
}
