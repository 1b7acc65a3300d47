package io.github.mongolock.micrometer;

import io.github.mongolock.AcquireOutcome;
import io.github.mongolock.HoldEnd;
import io.github.mongolock.LockEvent;
import io.github.mongolock.LockListener;
import io.github.mongolock.micrometer.MongoLockObservationDocumentation.LowCardinalityKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Locale;

/**
 * Reports what the mutexes of a {@link io.github.mongolock.LockRuntime} do to Micrometer: each
 * acquire call and each hold as an {@link Observation} (timers, and spans where a tracer is
 * registered), lost holds and lease renewals as counters.
 *
 * <pre>{@code
 * ObservationRegistry observations = ...; // with a DefaultMeterObservationHandler for timers
 * MeterRegistry meters = ...;
 * runtime.addListener(new MicrometerLockListener(observations, meters));
 *
 * // timers and counters but no traces, from a MeterRegistry alone:
 * runtime.addListener(MicrometerLockListener.metricsOnly(meters));
 * }</pre>
 *
 * <p>What it produces (with Micrometer's {@code DefaultMeterObservationHandler}):
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th></tr>
 *   <tr><td>{@code mongo.lock.acquire}</td><td>timer, one per finished acquire call</td>
 *       <td>{@code lock.name}, {@code mode}, {@code outcome} (acquired, timeout, interrupted,
 *       upgrade, error), {@code error}</td></tr>
 *   <tr><td>{@code mongo.lock.acquire.active}</td><td>long task timer of calls waiting now</td>
 *       <td>{@code lock.name}, {@code mode}</td></tr>
 *   <tr><td>{@code mongo.lock.held}</td><td>timer, one per ended hold</td>
 *       <td>{@code lock.name}, {@code mode}, {@code outcome} (released, lost, release_failed),
 *       {@code error}</td></tr>
 *   <tr><td>{@code mongo.lock.held.active}</td><td>long task timer of holds open now</td>
 *       <td>{@code lock.name}, {@code mode}</td></tr>
 *   <tr><td>{@value #LOST}</td><td>counter of holds lost</td>
 *       <td>{@code lock.name}, {@code mode}</td></tr>
 *   <tr><td>{@value #RENEWALS}</td><td>counter of heartbeat renewals (one per renewal of a
 *       collection's leases, however many leases it covers)</td>
 *       <td>{@code outcome} (success, failure)</td></tr>
 * </table>
 *
 * <p>The {@code error} tag is the meter handler's: {@code none}, or the simple class name of the
 * exception the observation recorded. The lock ID, client ID and collection are high-cardinality
 * keys of the observations (on spans, never on meters), so locks whose IDs carry data ({@code
 * order-4711}) give one meter per {@code lock.name}; give such mutexes a {@linkplain
 * io.github.mongolock.RWMutexOptions.Builder#name(String) name} (annotated methods get their
 * template). The conventions ({@link #withAcquireConvention}, {@link #withHeldConvention}, or a
 * {@link io.micrometer.observation.GlobalObservationConvention} of the registry) change the names
 * and keys of the observations.
 *
 * <p>Instances are immutable and thread-safe; one may be added to several runtimes.
 */
public final class MicrometerLockListener implements LockListener {

  /** The counter of holds lost. */
  public static final String LOST = "mongo.lock.lost";

  /**
   * The counter of heartbeat renewals, tagged {@code outcome}: {@code success} or {@code failure}.
   */
  public static final String RENEWALS = "mongo.lock.renewals";

  private final ObservationRegistry observations;
  private final MeterRegistry meters;
  private final LockAcquireObservationConvention acquireConvention;
  private final LockHeldObservationConvention heldConvention;
  private final Counter renewalsSucceeded;
  private final Counter renewalsFailed;

  /**
   * A listener that observes acquires and holds in {@code observations} and counts in {@code
   * meters}. The acquire and hold timers come from the observation registry's handlers: give it a
   * {@link DefaultMeterObservationHandler} (Spring Boot does), or use {@link
   * #metricsOnly(MeterRegistry)}.
   *
   * @param observations where acquires and holds are observed; {@link ObservationRegistry#NOOP} for
   *     none
   * @param meters where lost holds and renewals are counted; a {@link
   *     io.micrometer.core.instrument.composite.CompositeMeterRegistry} without registries for none
   * @throws IllegalArgumentException if either is null
   */
  public MicrometerLockListener(ObservationRegistry observations, MeterRegistry meters) {
    this(observations, meters, null, null);
  }

  private MicrometerLockListener(
      ObservationRegistry observations,
      MeterRegistry meters,
      LockAcquireObservationConvention acquireConvention,
      LockHeldObservationConvention heldConvention) {
    if (observations == null) {
      throw new IllegalArgumentException(
          "observation registry is null (ObservationRegistry.NOOP observes nothing)");
    }
    if (meters == null) {
      throw new IllegalArgumentException("meter registry is null");
    }
    this.observations = observations;
    this.meters = meters;
    this.acquireConvention = acquireConvention;
    this.heldConvention = heldConvention;
    // registered now so that a dashboard sees 0 failures rather than no data before the first one
    this.renewalsSucceeded = renewals("success");
    this.renewalsFailed = renewals("failure");
  }

  /**
   * A listener with timers and counters in {@code meters} and no traces: its observations go to a
   * registry of its own whose only handler is a {@link DefaultMeterObservationHandler} of {@code
   * meters}.
   *
   * @param meters where the timers and counters go
   * @return the listener
   * @throws IllegalArgumentException if {@code meters} is null
   */
  public static MicrometerLockListener metricsOnly(MeterRegistry meters) {
    if (meters == null) {
      throw new IllegalArgumentException("meter registry is null");
    }
    ObservationRegistry timers = ObservationRegistry.create();
    timers.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
    return new MicrometerLockListener(timers, meters);
  }

  /**
   * This listener with another convention for acquire observations.
   *
   * @param convention names the acquire observations and chooses their keys; null for the
   *     {@linkplain DefaultLockAcquireObservationConvention default}
   * @return a new listener; this one is unchanged
   */
  public MicrometerLockListener withAcquireConvention(LockAcquireObservationConvention convention) {
    return new MicrometerLockListener(observations, meters, convention, heldConvention);
  }

  /**
   * This listener with another convention for hold observations.
   *
   * @param convention names the hold observations and chooses their keys; null for the {@linkplain
   *     DefaultLockHeldObservationConvention default}
   * @return a new listener; this one is unchanged
   */
  public MicrometerLockListener withHeldConvention(LockHeldObservationConvention convention) {
    return new MicrometerLockListener(observations, meters, acquireConvention, convention);
  }

  @Override
  public AcquireWatch acquireStarted(LockEvent lock) {
    if (observations.isNoop()) {
      return AcquireWatch.NONE;
    }
    LockAcquireContext context = new LockAcquireContext(lock);
    Observation acquire =
        MongoLockObservationDocumentation.ACQUIRE
            .observation(
                acquireConvention,
                DefaultLockAcquireObservationConvention.INSTANCE,
                () -> context,
                observations)
            .start();
    // the core tells the watch on this thread before the call returns, so the scope is closed
    // where it was opened; meanwhile the acquire's MongoDB commands become its children
    Observation.Scope scope = acquire.openScope();
    return new AcquireWatch() {
      @Override
      public HoldWatch acquired() {
        end(AcquireOutcome.ACQUIRED, null);
        // started after the acquire's scope is closed: the hold is the acquire's sibling, a child
        // of what the application was doing
        return startHold(lock);
      }

      @Override
      public void notAcquired(AcquireOutcome outcome, Throwable cause) {
        end(outcome, cause);
      }

      private void end(AcquireOutcome outcome, Throwable cause) {
        scope.close();
        context.setOutcome(outcome);
        // a timeout, an interrupt or a refused upgrade are answers, not failures of the lock
        if (outcome == AcquireOutcome.ERROR && cause != null) {
          acquire.error(cause);
        }
        acquire.stop();
      }
    };
  }

  private HoldWatch startHold(LockEvent lock) {
    LockHeldContext context = new LockHeldContext(lock);
    Observation held =
        MongoLockObservationDocumentation.HELD
            .observation(
                heldConvention,
                DefaultLockHeldObservationConvention.INSTANCE,
                () -> context,
                observations)
            .start();
    return new HoldWatch() {
      @Override
      public void ended(HoldEnd end, Throwable cause) {
        context.setEnd(end);
        if (cause != null) {
          held.error(cause);
        }
        held.stop();
      }
    };
  }

  @Override
  public void lost(LockEvent lock, String reason) {
    Counter.builder(LOST)
        .description("Holds of this process lost before their unlock")
        .tag(LowCardinalityKeys.LOCK_NAME.asString(), lock.lockName())
        .tag(LowCardinalityKeys.MODE.asString(), lock.mode().name().toLowerCase(Locale.ROOT))
        .register(meters)
        .increment();
  }

  @Override
  public void renewed(String collection, int leases) {
    renewalsSucceeded.increment();
  }

  @Override
  public void renewalFailed(String collection, int leases, Throwable cause) {
    renewalsFailed.increment();
  }

  private Counter renewals(String outcome) {
    return Counter.builder(RENEWALS)
        .description("Lease renewals of the heartbeat, one per renewal of a collection's leases")
        .tag(LowCardinalityKeys.OUTCOME.asString(), outcome)
        .register(meters);
  }
}
