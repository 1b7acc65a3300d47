package io.github.mongolock;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import io.github.mongolock.internal.engine.EngineSettings;
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
 *   <tr><td>{@code changeStreams}</td><td>false</td><td>while a thread polls for a lock, watch the
 *       lock collection with a change stream (one cursor per collection and JVM, closed a few
 *       seconds after the last wait) and attempt again as soon as a lock document is updated,
 *       replaced or deleted, so a release by another process is noticed in milliseconds instead of
 *       after the current pause. Polling goes on regardless; where change streams are not
 *       available (a standalone server, no permission) waiting simply polls, and the stream is
 *       tried again after a minute. Off by default: turn it on for replica sets and sharded
 *       clusters. On servers without a real oplog it can cost more than it saves (the embedded
 *       mongo-java-server used by the tests re-reads its whole change log on every read of the
 *       stream, and a benchmark run with it on slowed every client on the machine).</td></tr>
 *   <tr><td>{@code expiresAt}</td><td>none</td><td>the seed's absolute expiry, stored on the lock
 *       document when this client creates (or takes over) it. Once it has passed, this library treats
 *       the lock as free, without waiting for MongoDB's TTL monitor.</td></tr>
 *   <tr><td>{@code writerPreference}</td><td>true</td><td>a waiting writer marks the lock so that
 *       new readers of other clients wait behind it.</td></tr>
 *   <tr><td>{@code writerWaitingTtl}</td><td>2 s</td><td>how long a waiting writer's mark keeps
 *       readers out without being refreshed; bounds how long a crashed waiting writer delays
 *       readers.</td></tr>
 *   <tr><td>{@code ensureIndex}</td><td>true</td><td>create the unique index on {@code lockID} and
 *       the index on {@code holders.s} (used by the heartbeat) on first use of the collection;
 *       an existing compatible index is accepted, a conflicting one is reported.</td></tr>
 *   <tr><td>{@code leaseTime}</td><td>30 s</td><td>how long a holder's lease lasts without renewal.
 *       A holder whose process dies (or pauses) longer than this may be evicted by another
 *       client; the holder is told by {@link LockLostListener} and {@link
 *       LockLostException}.</td></tr>
 *   <tr><td>{@code commandTimeout}</td><td>5 s</td><td>the longest one MongoDB command of the lock
 *       may take (the driver's client-side operation timeout), where no shorter bound applies: a
 *       timed wait bounds each of its commands by what is left of it, a renewal by {@code
 *       renewInterval}; an unlock, with its retries, takes at most this long. A command that runs
 *       out may still have been applied: an acquire then undoes what it may have taken (in the
 *       background once the wait is over), an unlock that fails stops renewing the lock so that
 *       it expires, and retries the release in the background.</td></tr>
 *   <tr><td>{@code renewInterval}</td><td>leaseTime / 3</td><td>how often the process's one
 *       heartbeat thread renews all leases it holds in a lock collection (one command per
 *       interval, however many locks are held). Must be shorter than {@code leaseTime}.</td></tr>
 *   <tr><td>{@code writeConcern}</td><td>{@code majority}</td><td>write concern of every lock state
 *       change (acquire, release, renewal, eviction, fencing token), so that an acknowledged
 *       change survives a replica-set failover.</td></tr>
 *   <tr><td>{@code name}</td><td>the lock ID</td><td>a low-cardinality name of the lock for
 *       {@link LockListener}s, metrics and traces ({@link LockEvent#lockName()}): give locks whose
 *       IDs carry data ({@code order-4711}) the name of their kind ({@code order}).</td></tr>
 *   <tr><td>{@code readConcern}</td><td>{@code majority}</td><td>read concern of every read of lock
 *       state (the contended path and the heartbeat's check).</td></tr>
 * </table>
 *
 * <p>Every duration must be positive and at most {@code Long.MAX_VALUE} nanoseconds (about 292
 * years); {@code writerWaitingTtl}, {@code leaseTime} and {@code commandTimeout}, which MongoDB
 * takes in milliseconds, at least 1 ms. {@link Builder#build()} refuses others with an {@link
 * IllegalArgumentException} naming the setting.
 */
public final class RWMutexOptions {

  private static final RWMutexOptions DEFAULTS = builder().build();

  private final Duration sleepTime;
  private final Duration minSleepTime;
  private final Instant expiresAt;
  private final boolean writerPreference;
  private final Duration writerWaitingTtl;
  private final boolean ensureIndex;
  private final Duration leaseTime;
  private final Duration renewInterval;
  private final Duration commandTimeout;
  private final WriteConcern writeConcern;
  private final ReadConcern readConcern;
  private final boolean changeStreams;
  private final String name;

  private RWMutexOptions(Builder b) {
    requirePositive(b.sleepTime, "sleepTime");
    requirePositive(b.minSleepTime, "minSleepTime");
    requirePositive(b.writerWaitingTtl, "writerWaitingTtl");
    requireMillis(b.writerWaitingTtl, "writerWaitingTtl");
    if (b.minSleepTime.compareTo(b.sleepTime) > 0) {
      throw new IllegalArgumentException(
          "minSleepTime (" + b.minSleepTime + ") must not exceed sleepTime (" + b.sleepTime + ")");
    }
    requirePositive(b.leaseTime, "leaseTime");
    requireMillis(b.leaseTime, "leaseTime");
    Duration interval = b.renewInterval == null ? b.leaseTime.dividedBy(3) : b.renewInterval;
    requirePositive(interval, "renewInterval");
    if (interval.compareTo(b.leaseTime) >= 0) {
      throw new IllegalArgumentException(
          "renewInterval (" + interval + ") must be shorter than leaseTime (" + b.leaseTime + ")");
    }
    if (b.writeConcern == null || b.readConcern == null) {
      throw new IllegalArgumentException("writeConcern and readConcern must not be null");
    }
    this.leaseTime = b.leaseTime;
    this.renewInterval = interval;
    requirePositive(b.commandTimeout, "commandTimeout");
    requireMillis(b.commandTimeout, "commandTimeout");
    this.commandTimeout = b.commandTimeout;
    this.writeConcern = b.writeConcern;
    this.readConcern = b.readConcern;
    this.sleepTime = b.sleepTime;
    this.minSleepTime = b.minSleepTime;
    this.expiresAt = b.expiresAt;
    this.writerPreference = b.writerPreference;
    this.writerWaitingTtl = b.writerWaitingTtl;
    this.ensureIndex = b.ensureIndex;
    this.changeStreams = b.changeStreams;
    if (b.name != null && b.name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank (null means the lock ID)");
    }
    this.name = b.name;
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
    }
    try {
      d.toNanos(); // the waits count in nanoseconds
    } catch (ArithmeticException tooLong) {
      throw new IllegalArgumentException(
          name
              + " must be at most "
              + Duration.ofNanos(Long.MAX_VALUE)
              + " (about 292 years), got "
              + d);
    }
  }

  /**
   * For the settings that reach MongoDB (or the driver's timeoutMS) in whole milliseconds, where
   * less than 1 ms would become 0: no timeout at all, or a lease or mark expired when stamped.
   */
  private static void requireMillis(Duration d, String name) {
    if (d.toMillis() < 1) {
      throw new IllegalArgumentException(
          name + " must be at least 1 ms (MongoDB takes it in milliseconds), got " + d);
    }
  }

  public static RWMutexOptions defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from these settings. */
  private volatile EngineSettings engineSettings;

  /** What the engine needs of these options (made once: the options are immutable). */
  EngineSettings engineSettings() {
    EngineSettings e = engineSettings;
    if (e == null) {
      e = newEngineSettings();
      engineSettings = e;
    }
    return e;
  }

  private EngineSettings newEngineSettings() {
    return new EngineSettings(
        sleepTime,
        minSleepTime,
        expiresAt,
        writerPreference,
        writerWaitingTtl,
        ensureIndex,
        leaseTime,
        renewInterval,
        commandTimeout,
        writeConcern,
        readConcern,
        changeStreams);
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.sleepTime = sleepTime;
    b.minSleepTime = minSleepTime;
    b.expiresAt = expiresAt;
    b.writerPreference = writerPreference;
    b.writerWaitingTtl = writerWaitingTtl;
    b.ensureIndex = ensureIndex;
    b.leaseTime = leaseTime;
    // a derived interval stays derived, so that a new leaseTime gets its own
    b.renewInterval = renewInterval.equals(leaseTime.dividedBy(3)) ? null : renewInterval;
    b.commandTimeout = commandTimeout;
    b.writeConcern = writeConcern;
    b.readConcern = readConcern;
    b.name = name;
    b.changeStreams = changeStreams;
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

  public Duration leaseTime() {
    return leaseTime;
  }

  public Duration renewInterval() {
    return renewInterval;
  }

  /** The longest one MongoDB command may take where no shorter bound applies (default 5 s). */
  public Duration commandTimeout() {
    return commandTimeout;
  }

  public WriteConcern writeConcern() {
    return writeConcern;
  }

  public ReadConcern readConcern() {
    return readConcern;
  }

  public boolean changeStreams() {
    return changeStreams;
  }

  /**
   * The lock's low-cardinality name for listeners and metrics.
   *
   * @return the name, or null when the lock ID stands for it
   */
  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return "RWMutexOptions{sleepTime="
        + sleepTime
        + ", minSleepTime="
        + minSleepTime
        + ", expiresAt="
        + expiresAt
        + ", writerPreference="
        + writerPreference
        + ", writerWaitingTtl="
        + writerWaitingTtl
        + ", ensureIndex="
        + ensureIndex
        + ", leaseTime="
        + leaseTime
        + ", renewInterval="
        + renewInterval
        + ", commandTimeout="
        + commandTimeout
        + ", writeConcern="
        + writeConcern
        + ", readConcern="
        + readConcern
        + ", changeStreams="
        + changeStreams
        + (name == null ? "" : ", name=" + name)
        + '}';
  }

  /** Builds {@link RWMutexOptions}; every setting is checked by {@link #build()}. */
  public static final class Builder {
    private Duration sleepTime = Duration.ofMillis(40);
    private Duration minSleepTime = Duration.ofMillis(2);
    private Instant expiresAt;
    private boolean writerPreference = true;
    private Duration writerWaitingTtl = Duration.ofSeconds(2);
    private boolean ensureIndex = true;
    private Duration leaseTime = Duration.ofSeconds(30);
    private Duration renewInterval;
    private Duration commandTimeout = Duration.ofSeconds(5);
    private WriteConcern writeConcern = WriteConcern.MAJORITY;
    private ReadConcern readConcern = ReadConcern.MAJORITY;
    private boolean changeStreams = false;
    private String name;

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

    /** How long a lease lasts without renewal (default 30 s). */
    public Builder leaseTime(Duration leaseTime) {
      this.leaseTime = leaseTime;
      return this;
    }

    /**
     * The longest one MongoDB command may take where no shorter bound applies (default 5 s): single
     * attempts, waits for ever, unlocks (with their retries), fencing tokens, the seed's override.
     */
    public Builder commandTimeout(Duration commandTimeout) {
      this.commandTimeout = commandTimeout;
      return this;
    }

    /** How often leases are renewed; null (the default) for leaseTime / 3. */
    public Builder renewInterval(Duration renewInterval) {
      this.renewInterval = renewInterval;
      return this;
    }

    /**
     * Write concern of lock state changes (default {@link WriteConcern#MAJORITY}). A weaker one is
     * faster but a failover may roll back an acknowledged acquire, and two clients may then both
     * believe they hold the lock.
     */
    public Builder writeConcern(WriteConcern writeConcern) {
      this.writeConcern = writeConcern;
      return this;
    }

    /** Read concern of lock state reads (default {@link ReadConcern#MAJORITY}). */
    public Builder readConcern(ReadConcern readConcern) {
      this.readConcern = readConcern;
      return this;
    }

    /**
     * Whether a waiting acquire also listens to a change stream on the lock collection, to try
     * again as soon as another process releases (default false; see the class table). Polling goes
     * on either way.
     */
    public Builder changeStreams(boolean changeStreams) {
      this.changeStreams = changeStreams;
      return this;
    }

    /**
     * A low-cardinality name of the lock for {@link LockListener}s, metrics and traces ({@link
     * LockEvent#lockName()}); null (the default) means the lock ID. Not stored in MongoDB.
     */
    public Builder name(String name) {
      this.name = name;
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
    return sleepTime.equals(other.sleepTime)
        && minSleepTime.equals(other.minSleepTime)
        && Objects.equals(expiresAt, other.expiresAt)
        && writerPreference == other.writerPreference
        && writerWaitingTtl.equals(other.writerWaitingTtl)
        && ensureIndex == other.ensureIndex
        && leaseTime.equals(other.leaseTime)
        && renewInterval.equals(other.renewInterval)
        && commandTimeout.equals(other.commandTimeout)
        && writeConcern.equals(other.writeConcern)
        && readConcern.equals(other.readConcern)
        && changeStreams == other.changeStreams
        && Objects.equals(name, other.name);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        sleepTime,
        minSleepTime,
        expiresAt,
        writerPreference,
        writerWaitingTtl,
        ensureIndex,
        leaseTime,
        renewInterval,
        commandTimeout,
        writeConcern,
        readConcern,
        changeStreams,
        name);
  }
}
