package io.github.mongolock.micrometer;

import io.github.mongolock.HoldEnd;
import io.github.mongolock.LockEvent;
import io.micrometer.observation.Observation;
import java.util.Objects;

/**
 * The {@link Observation.Context} of one hold ({@code mongo.lock.held}), from the acquire that
 * granted it to its unlock: the lock held and, once the hold is over, how it ended. Conventions
 * read it; {@link MicrometerLockListener} fills it.
 */
public class LockHeldContext extends Observation.Context {

  private final LockEvent lock;
  private HoldEnd end;

  /**
   * A context for a hold of {@code lock} that has not ended yet.
   *
   * @param lock the lock, client and mode held
   */
  public LockHeldContext(LockEvent lock) {
    this.lock = Objects.requireNonNull(lock, "lock");
  }

  /**
   * The lock held.
   *
   * @return the lock, client and mode held
   */
  public LockEvent getLock() {
    return lock;
  }

  /**
   * How the hold ended.
   *
   * @return released, lost or release failed; null while the lock is held
   */
  public HoldEnd getEnd() {
    return end;
  }

  /**
   * Records how the hold ended; called before the observation stops.
   *
   * @param end how the hold ended
   */
  public void setEnd(HoldEnd end) {
    this.end = end;
  }
}
