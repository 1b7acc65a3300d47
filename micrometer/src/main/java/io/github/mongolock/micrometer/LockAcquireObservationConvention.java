package io.github.mongolock.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names an acquire observation and chooses its keys. Implement it (or extend {@link
 * DefaultLockAcquireObservationConvention}) and give it to {@link MicrometerLockListener} to change
 * them; register it as a {@link io.micrometer.observation.GlobalObservationConvention} to change
 * them for every listener of an {@link io.micrometer.observation.ObservationRegistry}.
 */
public interface LockAcquireObservationConvention
    extends ObservationConvention<LockAcquireContext> {

  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof LockAcquireContext;
  }
}
