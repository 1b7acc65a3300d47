package io.github.mongolock;

import java.util.Locale;

/** How a hold ended, as reported to {@link LockListener.HoldWatch}. */
public enum HoldEnd {
  /** Released normally. */
  RELEASED,
  /** The hold had been lost before its unlock ({@link LockLostException}). */
  LOST,
  /**
   * The release could not be confirmed ({@link LockReleaseException}); the lock expires or is
   * released in the background.
   */
  RELEASE_FAILED;

  /**
   * The end as a metric tag value.
   *
   * @return the name in lower case: {@code released}, {@code lost}, {@code release_failed}
   */
  public String tag() {
    return name().toLowerCase(Locale.ROOT);
  }
}
