package io.github.mongolock.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names a hold observation and chooses its keys. Implement it (or extend {@link
 * DefaultLockHeldObservationConvention}) and give it to {@link MicrometerLockListener} to change
 * them; register it as a {@link io.micrometer.observation.GlobalObservationConvention} to change
 * them for every listener of an {@link io.micrometer.observation.ObservationRegistry}.
 */
public interface LockHeldObservationConvention extends ObservationConvention<LockHeldContext> {

  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof LockHeldContext;
  }
}
