package io.github.mongolock.micrometer;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.mongolock.AcquireOutcome;
import io.github.mongolock.HoldEnd;
import io.github.mongolock.LockEvent;
import io.github.mongolock.LockListener.AcquireWatch;
import io.github.mongolock.LockListener.HoldWatch;
import io.github.mongolock.LockMode;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The listener on its own, its methods called as the core calls them: names, tags and keys per
 * outcome, what is in scope when, and that lock IDs never become tags. {@link
 * MicrometerLockListenerIntegrationTest} runs it on real mutexes.
 */
class MicrometerLockListenerTest {

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final MicrometerLockListener listener = MicrometerLockListener.metricsOnly(meters);

  private static LockEvent event(String lockID, LockMode mode) {
    return new LockEvent("order", lockID, "client_1", mode, "db.locks");
  }

  private Timer timer(String name, String... tags) {
    return meters.get(name).tags(tags).timer();
  }

  @Test
  void anAcquiredWriteLockGivesAnAcquireTimerAndAHoldTimerTaggedWithItsNameModeAndOutcome() {
    AcquireWatch acquire = listener.acquireStarted(event("order-1", LockMode.WRITE));
    LongTaskTimer waiting =
        meters
            .get("mongo.lock.acquire.active")
            .tags("lock.name", "order", "mode", "write")
            .longTaskTimer();
    assertEquals(1, waiting.activeTasks(), "the call waits");

    HoldWatch hold = acquire.acquired();
    assertEquals(0, waiting.activeTasks());
    Timer acquired =
        timer("mongo.lock.acquire", "lock.name", "order", "mode", "write", "outcome", "acquired");
    assertEquals(1, acquired.count());
    assertEquals("none", acquired.getId().getTag("error"));
    LongTaskTimer holding =
        meters
            .get("mongo.lock.held.active")
            .tags("lock.name", "order", "mode", "write")
            .longTaskTimer();
    assertEquals(1, holding.activeTasks(), "the lock is held");
    assertTrue(meters.find("mongo.lock.held").timers().isEmpty(), "no hold has ended yet");

    hold.ended(HoldEnd.RELEASED, null);
    assertEquals(0, holding.activeTasks());
    Timer held =
        timer("mongo.lock.held", "lock.name", "order", "mode", "write", "outcome", "released");
    assertEquals(1, held.count());
    assertEquals("none", held.getId().getTag("error"));
    // the timers are in Micrometer's base unit, seconds
    assertEquals(TimeUnit.SECONDS, held.baseTimeUnit());
    assertEquals("seconds", held.getId().getBaseUnit());
  }

  @Test
  void eachAcquireOutcomeIsItsOwnTagAndOnlyAnErrorIsRecordedAsTheObservationsError() {
    listener
        .acquireStarted(event("order-1", LockMode.WRITE))
        .notAcquired(AcquireOutcome.TIMEOUT, null);
    listener
        .acquireStarted(event("order-2", LockMode.WRITE))
        .notAcquired(AcquireOutcome.TIMEOUT, new IllegalStateException("timed out"));
    listener
        .acquireStarted(event("order-3", LockMode.READ))
        .notAcquired(AcquireOutcome.INTERRUPTED, new IllegalStateException("interrupted"));
    listener
        .acquireStarted(event("order-4", LockMode.WRITE))
        .notAcquired(AcquireOutcome.UPGRADE, new IllegalStateException("upgrade"));
    listener
        .acquireStarted(event("order-5", LockMode.READ))
        .notAcquired(AcquireOutcome.ERROR, new ArithmeticException("mongo down"));

    Timer timeouts = timer("mongo.lock.acquire", "mode", "write", "outcome", "timeout");
    assertEquals(2, timeouts.count(), "tryLock's false and LockTimeoutException are one outcome");
    assertEquals("none", timeouts.getId().getTag("error"));
    assertEquals(
        "none",
        timer("mongo.lock.acquire", "mode", "read", "outcome", "interrupted")
            .getId()
            .getTag("error"));
    assertEquals(
        "none",
        timer("mongo.lock.acquire", "mode", "write", "outcome", "upgrade").getId().getTag("error"));
    assertEquals(
        "ArithmeticException",
        timer("mongo.lock.acquire", "mode", "read", "outcome", "error").getId().getTag("error"));
    assertTrue(meters.find("mongo.lock.held").timers().isEmpty(), "nothing was granted");
    assertTrue(meters.find("mongo.lock.held.active").longTaskTimers().isEmpty(), "no hold began");
  }

  @Test
  void aHoldThatEndsLostOrWhoseReleaseFailsIsTaggedSoAndRecordsTheUnlocksException() {
    listener
        .acquireStarted(event("order-1", LockMode.READ))
        .acquired()
        .ended(HoldEnd.LOST, new IllegalStateException("lost"));
    listener
        .acquireStarted(event("order-2", LockMode.WRITE))
        .acquired()
        .ended(HoldEnd.RELEASE_FAILED, new ArithmeticException("no reply"));

    assertEquals(
        "IllegalStateException",
        timer("mongo.lock.held", "mode", "read", "outcome", "lost").getId().getTag("error"));
    assertEquals(
        "ArithmeticException",
        timer("mongo.lock.held", "mode", "write", "outcome", "release_failed")
            .getId()
            .getTag("error"));
  }

  @Test
  void lostHoldsAreCountedPerNameAndModeAndRenewalsPerOutcomeFromZero() {
    assertEquals(0, meters.get("mongo.lock.renewals").tag("outcome", "success").counter().count());
    assertEquals(0, meters.get("mongo.lock.renewals").tag("outcome", "failure").counter().count());
    assertNull(meters.find("mongo.lock.lost").counter(), "no hold lost yet");

    listener.lost(event("order-1", LockMode.WRITE), "lease expired");
    listener.lost(event("order-2", LockMode.WRITE), "evicted");
    listener.lost(event("order-1", LockMode.READ), "runtime closed");
    listener.renewed("db.locks", 3);
    listener.renewed("db.locks", 1);
    listener.renewalFailed("db.locks", 3, new IllegalStateException("timeout"));

    assertEquals(
        2,
        meters
            .get("mongo.lock.lost")
            .tags("lock.name", "order", "mode", "write")
            .counter()
            .count());
    assertEquals(
        1,
        meters.get("mongo.lock.lost").tags("lock.name", "order", "mode", "read").counter().count());
    assertEquals(
        Set.of("lock.name", "mode"),
        meters.get("mongo.lock.lost").meters().stream()
            .flatMap(m -> m.getId().getTags().stream())
            .map(t -> t.getKey())
            .collect(Collectors.toSet()),
        "the lock ID is no tag");
    // renewals counts heartbeat renewals, not the leases each covered
    assertEquals(2, meters.get("mongo.lock.renewals").tag("outcome", "success").counter().count());
    assertEquals(1, meters.get("mongo.lock.renewals").tag("outcome", "failure").counter().count());
  }

  @Test
  void observationsCarryTheLowCardinalityKeysAsTagsAndTheIdsOnlyAsHighCardinalityKeys() {
    TestObservationRegistry observations = TestObservationRegistry.create();
    MicrometerLockListener traced = new MicrometerLockListener(observations, meters);

    traced
        .acquireStarted(event("order-4711", LockMode.WRITE))
        .acquired()
        .ended(HoldEnd.RELEASED, null);

    assertThat(observations)
        .hasNumberOfObservationsEqualTo(2)
        .hasObservationWithNameEqualTo("mongo.lock.acquire")
        .that()
        .hasContextualNameEqualTo("acquire order")
        .hasBeenStarted()
        .hasBeenStopped()
        .hasLowCardinalityKeyValue("lock.name", "order")
        .hasLowCardinalityKeyValue("mode", "write")
        .hasLowCardinalityKeyValue("outcome", "acquired")
        .hasHighCardinalityKeyValue("lock.id", "order-4711")
        .hasHighCardinalityKeyValue("client.id", "client_1")
        .hasHighCardinalityKeyValue("lock.collection", "db.locks")
        .doesNotHaveError();
    assertThat(observations)
        .hasObservationWithNameEqualTo("mongo.lock.held")
        .that()
        .hasContextualNameEqualTo("hold order")
        .hasBeenStopped()
        .hasLowCardinalityKeyValue("lock.name", "order")
        .hasLowCardinalityKeyValue("mode", "write")
        .hasLowCardinalityKeyValue("outcome", "released")
        .hasHighCardinalityKeyValue("lock.id", "order-4711")
        .doesNotHaveLowCardinalityKeyValueWithKey("lock.id")
        .doesNotHaveLowCardinalityKeyValueWithKey("client.id");

    TestObservationRegistry failures = TestObservationRegistry.create();
    ArithmeticException down = new ArithmeticException("mongo down");
    new MicrometerLockListener(failures, meters)
        .acquireStarted(event("order-1", LockMode.READ))
        .notAcquired(AcquireOutcome.ERROR, down);
    assertThat(failures)
        .hasSingleObservationThat()
        .hasLowCardinalityKeyValue("outcome", "error")
        .hasError(down);
  }

  @Test
  void theAcquireIsInScopeWhileItWaitsAndTheHoldIsItsSiblingUnderTheApplicationsObservation() {
    TestObservationRegistry observations = TestObservationRegistry.create();
    MicrometerLockListener traced = new MicrometerLockListener(observations, meters);
    Observation request = Observation.start("request", observations);
    try (Observation.Scope ignored = request.openScope()) {
      AcquireWatch watch = traced.acquireStarted(event("order-1", LockMode.WRITE));
      Observation acquire = observations.getCurrentObservation();
      assertNotNull(acquire);
      assertEquals("mongo.lock.acquire", acquire.getContext().getName());
      assertSame(request, acquire.getContextView().getParentObservation(), "child of the request");

      HoldWatch hold = watch.acquired();
      assertSame(request, observations.getCurrentObservation(), "the acquire's scope is closed");
      hold.ended(HoldEnd.RELEASED, null);
      assertSame(request, observations.getCurrentObservation(), "the hold opened no scope");
    }
    request.stop();
    assertNull(observations.getCurrentObservation());

    assertThat(observations)
        .hasObservationWithNameEqualTo("mongo.lock.held")
        .that()
        .hasParentObservationEqualTo(request);
    assertThat(observations)
        .hasObservationWithNameEqualTo("mongo.lock.acquire")
        .that()
        .hasParentObservationEqualTo(request);
  }

  @Test
  void customConventionsChangeTheNamesAndKeys() {
    LockAcquireObservationConvention acquire =
        new DefaultLockAcquireObservationConvention() {
          @Override
          public String getName() {
            return "app.lock.wait";
          }

          @Override
          public KeyValues getLowCardinalityKeyValues(LockAcquireContext context) {
            return super.getLowCardinalityKeyValues(context).and("team", "billing");
          }
        };
    LockHeldObservationConvention held =
        new LockHeldObservationConvention() {
          @Override
          public String getName() {
            return "app.lock.section";
          }

          @Override
          public KeyValues getLowCardinalityKeyValues(LockHeldContext context) {
            return KeyValues.of(
                "kind", context.getLock().mode() == LockMode.READ ? "shared" : "exclusive");
          }
        };
    MicrometerLockListener custom =
        listener.withAcquireConvention(acquire).withHeldConvention(held);

    custom.acquireStarted(event("order-1", LockMode.READ)).acquired().ended(HoldEnd.RELEASED, null);

    Timer wait = meters.get("app.lock.wait").timer();
    assertEquals("billing", wait.getId().getTag("team"));
    assertEquals("acquired", wait.getId().getTag("outcome"));
    assertEquals("shared", meters.get("app.lock.section").timer().getId().getTag("kind"));
    assertNull(meters.find("mongo.lock.acquire").timer(), "the default name is replaced");
    assertNull(meters.find("mongo.lock.held").timer());

    // the original is unchanged
    listener
        .acquireStarted(event("order-1", LockMode.READ))
        .notAcquired(AcquireOutcome.TIMEOUT, null);
    assertEquals(1, timer("mongo.lock.acquire", "outcome", "timeout").count());
  }

  @Test
  void aThousandLockIdsUnderOneNameMakeOneMeterPerTagSet() {
    for (int i = 0; i < 1000; i++) {
      LockEvent lock = event("order-" + i, i % 2 == 0 ? LockMode.WRITE : LockMode.READ);
      AcquireWatch watch = listener.acquireStarted(lock);
      if (i % 10 < 2) {
        watch.notAcquired(AcquireOutcome.TIMEOUT, null);
      } else {
        watch.acquired().ended(HoldEnd.RELEASED, null);
      }
      if (i % 100 == 0) {
        listener.lost(lock, "lease expired");
      }
    }

    // per name: mode read/write x outcome; no meter has a tag whose value is a lock ID
    assertEquals(4, meters.get("mongo.lock.acquire").timers().size());
    assertEquals(2, meters.get("mongo.lock.acquire.active").longTaskTimers().size());
    assertEquals(2, meters.get("mongo.lock.held").timers().size());
    assertEquals(2, meters.get("mongo.lock.held.active").longTaskTimers().size());
    assertEquals(1, meters.get("mongo.lock.lost").counters().size(), "i % 100 == 0 is even: write");
    assertEquals(
        1000, meters.get("mongo.lock.acquire").timers().stream().mapToLong(Timer::count).sum());
    for (Meter meter : meters.getMeters()) {
      meter
          .getId()
          .getTags()
          .forEach(
              tag -> assertTrue(!tag.getValue().startsWith("order-"), meter.getId().toString()));
    }
  }

  @Test
  void aNoopObservationRegistryMakesNoObservationsButTheCountersStillCount() {
    MeterRegistry counted = new SimpleMeterRegistry();
    MicrometerLockListener countersOnly =
        new MicrometerLockListener(ObservationRegistry.NOOP, counted);

    assertSame(AcquireWatch.NONE, countersOnly.acquireStarted(event("order-1", LockMode.WRITE)));
    countersOnly.lost(event("order-1", LockMode.WRITE), "lease expired");
    countersOnly.renewed("db.locks", 1);

    assertNull(counted.find("mongo.lock.acquire").timer());
    assertEquals(1, counted.get("mongo.lock.lost").counter().count());
    assertEquals(1, counted.get("mongo.lock.renewals").tag("outcome", "success").counter().count());
  }

  @Test
  void nullRegistriesAreRefusedWithAClearMessage() {
    IllegalArgumentException noObservations =
        assertThrows(
            IllegalArgumentException.class, () -> new MicrometerLockListener(null, meters));
    assertTrue(noObservations.getMessage().contains("ObservationRegistry.NOOP"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new MicrometerLockListener(ObservationRegistry.NOOP, null));
    assertThrows(IllegalArgumentException.class, () -> MicrometerLockListener.metricsOnly(null));
  }
}
