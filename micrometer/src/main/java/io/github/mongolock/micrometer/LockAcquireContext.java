package io.github.mongolock.micrometer;

import io.github.mongolock.AcquireOutcome;
import io.github.mongolock.LockEvent;
import io.micrometer.observation.Observation;
import java.util.Objects;

/**
 * The {@link Observation.Context} of one acquire call ({@code mongo.lock.acquire}): the lock asked
 * for and, once the call is over, its outcome. Conventions read it; {@link MicrometerLockListener}
 * fills it.
 */
public class LockAcquireContext extends Observation.Context {

  private final LockEvent lock;
  private AcquireOutcome outcome;

  /**
   * A context for an acquire of {@code lock} that has not ended yet.
   *
   * @param lock the lock, client and mode asked for
   */
  public LockAcquireContext(LockEvent lock) {
    this.lock = Objects.requireNonNull(lock, "lock");
  }

  /**
   * The lock asked for.
   *
   * @return the lock, client and mode asked for
   */
  public LockEvent getLock() {
    return lock;
  }

  /**
   * How the call ended.
   *
   * @return the outcome, or null while the call still waits
   */
  public AcquireOutcome getOutcome() {
    return outcome;
  }

  /**
   * Records how the call ended; called before the observation stops.
   *
   * @param outcome the outcome
   */
  public void setOutcome(AcquireOutcome outcome) {
    this.outcome = outcome;
  }
}
