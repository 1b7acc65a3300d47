package io.github.mongolock;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Settings of a {@link RWMutex}. Immutable; build with {@link #builder()}.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code sleepTime}</td><td>40 ms</td><td>the longest pause between two attempts of a
 *       waiting acquire (the seed's {@code sleepTime}, which was a fixed 1 s). Waits start at
 *       {@code minSleepTime} and double up to this, with jitter.</td></tr>
 *   <tr><td>{@code minSleepTime}</td><td>2 ms</td><td>the first pause of a waiting acquire.</td></tr>
 *   <tr><td>{@code expiresAt}</td><td>none</td><td>the seed's absolute expiry, stored on the lock
 *       document when this client creates (or takes over) it. Once it has passed, this library treats
 *       the lock as free, without waiting for MongoDB's TTL monitor.</td></tr>
 *   <tr><td>{@code writerPreference}</td><td>true</td><td>a waiting writer marks the lock so that
 *       new readers of other clients wait behind it.</td></tr>
 *   <tr><td>{@code writerWaitingTtl}</td><td>2 s</td><td>how long a waiting writer's mark keeps
 *       readers out without being refreshed; bounds how long a crashed waiting writer delays
 *       readers.</td></tr>
 *   <tr><td>{@code ensureIndex}</td><td>true</td><td>create the unique index on {@code lockID} on
 *       first use of the collection.</td></tr>
 * </table>
 */
public final class RWMutexOptions {

  private static final RWMutexOptions DEFAULTS = builder().build();

  private final Duration sleepTime;
  private final Duration minSleepTime;
  private final Instant expiresAt;
  private final boolean writerPreference;
  private final Duration writerWaitingTtl;
  private final boolean ensureIndex;

  private RWMutexOptions(Builder b) {
    requirePositive(b.sleepTime, "sleepTime");
    requirePositive(b.minSleepTime, "minSleepTime");
    requirePositive(b.writerWaitingTtl, "writerWaitingTtl");
    if (b.minSleepTime.compareTo(b.sleepTime) > 0) {
      throw new IllegalArgumentException(
          "minSleepTime (" + b.minSleepTime + ") must not exceed sleepTime (" + b.sleepTime + ")");
    }
    this.sleepTime = b.sleepTime;
    this.minSleepTime = b.minSleepTime;
    this.expiresAt = b.expiresAt;
    this.writerPreference = b.writerPreference;
    this.writerWaitingTtl = b.writerWaitingTtl;
    this.ensureIndex = b.ensureIndex;
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
    }
  }

  public static RWMutexOptions defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.sleepTime = sleepTime;
    b.minSleepTime = minSleepTime;
    b.expiresAt = expiresAt;
    b.writerPreference = writerPreference;
    b.writerWaitingTtl = writerWaitingTtl;
    b.ensureIndex = ensureIndex;
    return b;
  }

  public Duration sleepTime() {
    return sleepTime;
  }

  public Duration minSleepTime() {
    return minSleepTime;
  }

  /** The seed's absolute expiry, or null. */
  public Instant expiresAt() {
    return expiresAt;
  }

  public boolean writerPreference() {
    return writerPreference;
  }

  public Duration writerWaitingTtl() {
    return writerWaitingTtl;
  }

  public boolean ensureIndex() {
    return ensureIndex;
  }

  @Override
  public String toString() {
    return "RWMutexOptions{sleepTime=" + sleepTime + ", minSleepTime=" + minSleepTime
        + ", expiresAt=" + expiresAt + ", writerPreference=" + writerPreference
        + ", writerWaitingTtl=" + writerWaitingTtl + ", ensureIndex=" + ensureIndex + '}';
  }

  /** Builds {@link RWMutexOptions}; every setting is checked by {@link #build()}. */
  public static final class Builder {
    private Duration sleepTime = Duration.ofMillis(40);
    private Duration minSleepTime = Duration.ofMillis(2);
    private Instant expiresAt;
    private boolean writerPreference = true;
    private Duration writerWaitingTtl = Duration.ofSeconds(2);
    private boolean ensureIndex = true;

    private Builder() {}

    /** The longest pause between two attempts of a waiting acquire. */
    public Builder sleepTime(Duration sleepTime) {
      this.sleepTime = sleepTime;
      if (sleepTime != null && minSleepTime.compareTo(sleepTime) > 0) {
        this.minSleepTime = sleepTime;
      }
      return this;
    }

    public Builder minSleepTime(Duration minSleepTime) {
      this.minSleepTime = minSleepTime;
      return this;
    }

    /** The seed's absolute expiry of the lock document; null for none. */
    public Builder expiresAt(Instant expiresAt) {
      this.expiresAt = expiresAt;
      return this;
    }

    public Builder writerPreference(boolean writerPreference) {
      this.writerPreference = writerPreference;
      return this;
    }

    public Builder writerWaitingTtl(Duration writerWaitingTtl) {
      this.writerWaitingTtl = writerWaitingTtl;
      return this;
    }

    public Builder ensureIndex(boolean ensureIndex) {
      this.ensureIndex = ensureIndex;
      return this;
    }

    public RWMutexOptions build() {
      return new RWMutexOptions(this);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RWMutexOptions other)) {
      return false;
    }
    return sleepTime.equals(other.sleepTime) && minSleepTime.equals(other.minSleepTime)
        && Objects.equals(expiresAt, other.expiresAt) && writerPreference == other.writerPreference
        && writerWaitingTtl.equals(other.writerWaitingTtl) && ensureIndex == other.ensureIndex;
  }

  @Override
  public int hashCode() {
    return Objects.hash(sleepTime, minSleepTime, expiresAt, writerPreference, writerWaitingTtl,
        ensureIndex);
  }
}
