package io.github.mongolock.benchmarks.jmh;

import io.github.mongolock.LockRuntime;
import io.github.mongolock.micrometer.MicrometerLockListener;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;

/**
 * A {@link LockRuntime} of its own whose mutexes report to a {@link MicrometerLockListener}, wired
 * as an application without a tracer would wire it (and as Spring Boot does, less the tracer): the
 * acquire and hold observations become timers through a {@link DefaultMeterObservationHandler} of a
 * {@link SimpleMeterRegistry}, which also gets the counters. Its own runtime, so that the mutexes
 * of the shared runtime that the same run measures without a listener stay without one.
 */
public final class MicrometerRuntime implements AutoCloseable {

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final LockRuntime runtime = LockRuntime.create();

  /** A new runtime with the listener registered. */
  public MicrometerRuntime() {
    ObservationRegistry observations = ObservationRegistry.create();
    observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
    runtime.addListener(new MicrometerLockListener(observations, meters));
  }

  /**
   * The runtime to build the measured mutexes in.
   *
   * @return the runtime
   */
  public LockRuntime runtime() {
    return runtime;
  }

  /**
   * Acquire calls the listener has timed so far, over all locks: lets the harness check that the
   * calls it measured really went through the listener and its registry.
   *
   * @return the sum of the counts of the {@code mongo.lock.acquire} timers
   */
  public long acquiresTimed() {
    return meters.find("mongo.lock.acquire").timers().stream().mapToLong(Timer::count).sum();
  }

  /**
   * Holds the listener has timed to their end so far, over all locks.
   *
   * @return the sum of the counts of the {@code mongo.lock.held} timers
   */
  public long holdsTimed() {
    return meters.find("mongo.lock.held").timers().stream().mapToLong(Timer::count).sum();
  }

  @Override
  public void close() {
    runtime.close();
    meters.close();
  }
}
