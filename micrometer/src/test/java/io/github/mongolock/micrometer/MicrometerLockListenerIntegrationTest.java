package io.github.mongolock.micrometer;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.LockAcquisitionException;
import io.github.mongolock.LockInterruptedException;
import io.github.mongolock.LockLostException;
import io.github.mongolock.LockRuntime;
import io.github.mongolock.LockUpgradeException;
import io.github.mongolock.RWMutex;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The listener on a real {@link LockRuntime}: what real acquires, holds, losses and renewals of
 * {@link RWMutex}es on the testkit's server make of its meters and observations.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MicrometerLockListenerIntegrationTest {

  private static final AtomicInteger COLLECTIONS = new AtomicInteger();

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final TestObservationRegistry observations = TestObservationRegistry.create();
  private LockRuntime runtime;
  private MongoCollection<Document> locks;

  @BeforeEach
  void setUp(MongoDatabase db) {
    // a tracer's registry with the meter handler Boot adds: one run gives spans and timers
    observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
    runtime = LockRuntime.create();
    runtime.addListener(new MicrometerLockListener(observations, meters));
    locks = db.getCollection("locks" + COLLECTIONS.incrementAndGet());
  }

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  private static RWMutexOptions.Builder options() {
    return RWMutexOptions.builder()
        .name("order")
        .minSleepTime(Duration.ofMillis(1))
        .sleepTime(Duration.ofMillis(10));
  }

  private RWMutex mutex(String lockID, String clientID) {
    return new RWMutex(runtime, locks, lockID, clientID, options().build());
  }

  private Timer acquireTimer(String mode, String outcome) {
    return meters
        .get("mongo.lock.acquire")
        .tags("lock.name", "order", "mode", mode, "outcome", outcome)
        .timer();
  }

  private LongTaskTimer heldActive(String mode) {
    return meters
        .get("mongo.lock.held.active")
        .tags("lock.name", "order", "mode", mode)
        .longTaskTimer();
  }

  private static boolean eventually(BooleanSupplier condition, long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    return true;
  }

  @Test
  void aWriteLockIsTimedWhileAcquiredAndWhileHeld() throws InterruptedException {
    RWMutex order = mutex("order-4711", "client_1");

    order.lock();
    assertEquals(1, acquireTimer("write", "acquired").count());
    assertEquals(1, heldActive("write").activeTasks(), "held now");
    assertNull(meters.find("mongo.lock.held").timer(), "no hold ended yet");
    Thread.sleep(50);
    order.unlock();

    assertEquals(0, heldActive("write").activeTasks());
    Timer held = meters.get("mongo.lock.held").tags("mode", "write", "outcome", "released").timer();
    assertEquals(1, held.count());
    assertTrue(
        held.totalTime(TimeUnit.MILLISECONDS) >= 50,
        "the hold lasted the 50 ms slept in it: " + held.totalTime(TimeUnit.MILLISECONDS));
    assertThat(observations)
        .hasObservationWithNameEqualTo("mongo.lock.held")
        .that()
        .hasBeenStopped()
        .hasHighCardinalityKeyValue("lock.id", "order-4711")
        .hasHighCardinalityKeyValue("client.id", "client_1")
        .hasHighCardinalityKeyValue("lock.collection", locks.getNamespace().getFullName());
  }

  @Test
  void reentrantAndSharedHoldsAreEachTimed() {
    RWMutex reader = mutex("order-1", "client_1");
    reader.rLock();
    reader.rLock();
    assertEquals(2, heldActive("read").activeTasks(), "a re-entrant acquire is a hold of its own");
    reader.rUnlock();
    assertEquals(1, heldActive("read").activeTasks());
    reader.rUnlock();
    assertEquals(0, heldActive("read").activeTasks());
    assertEquals(2, acquireTimer("read", "acquired").count());
    assertEquals(
        2,
        meters.get("mongo.lock.held").tags("mode", "read", "outcome", "released").timer().count());
  }

  @Test
  void aTryLockOnALockAnotherClientHoldsTimesOut() throws Exception {
    RWMutex other = mutex("order-1", "client_2");
    other.lock();
    try {
      RWMutex order = mutex("order-1", "client_1");
      // on another thread: the other client's hold belongs to this one
      boolean granted =
          CompletableFuture.supplyAsync(() -> order.tryLock(Duration.ofMillis(100)))
              .get(30, TimeUnit.SECONDS);
      assertFalse(granted);
    } finally {
      other.unlock();
    }
    Timer timeouts = acquireTimer("write", "timeout");
    assertEquals(1, timeouts.count());
    assertTrue(timeouts.totalTime(TimeUnit.MILLISECONDS) >= 100, "it waited its 100 ms");
    assertEquals("none", timeouts.getId().getTag("error"), "a timeout is no error");
    assertEquals(1, acquireTimer("write", "acquired").count(), "the other client's acquire");
  }

  @Test
  void aRefusedUpgradeAnInterruptedWaitAndAnErrorHaveTheirOwnOutcome() throws Exception {
    RWMutex order = mutex("order-1", "client_1");
    order.rLock();
    try {
      assertThrows(LockUpgradeException.class, order::lock);
    } finally {
      order.rUnlock();
    }
    assertEquals(1, acquireTimer("write", "upgrade").count());

    RWMutex other = mutex("order-2", "client_2");
    other.lock();
    try {
      RWMutex waiting = mutex("order-2", "client_1");
      Throwable thrown =
          CompletableFuture.supplyAsync(
                  () -> {
                    Thread.currentThread().interrupt();
                    try {
                      waiting.lock();
                      return null;
                    } catch (RuntimeException e) {
                      return e;
                    } finally {
                      Thread.interrupted();
                    }
                  })
              .get(30, TimeUnit.SECONDS);
      assertTrue(thrown instanceof LockInterruptedException, String.valueOf(thrown));
    } finally {
      other.unlock();
    }
    assertEquals(1, acquireTimer("write", "interrupted").count());

    // a stored document with a field of the wrong type fails the acquire at once
    locks.insertOne(new Document("lockID", "order-3").append("writer", 5));
    RWMutex broken = mutex("order-3", "client_1");
    LockAcquisitionException error = assertThrows(LockAcquisitionException.class, broken::lock);
    Timer errors = acquireTimer("write", "error");
    assertEquals(1, errors.count());
    assertEquals("LockAcquisitionException", errors.getId().getTag("error"));
    assertThat(observations)
        .hasHandledContextsThatSatisfy(
            contexts -> {
              for (Observation.Context c : contexts) {
                boolean failed =
                    c instanceof LockAcquireContext a && a.getLock().lockID().equals("order-3");
                assertEquals(failed ? error : null, c.getError(), c.toString());
              }
            });
  }

  @Test
  void aLostHoldIsCountedWithItsFailedRenewalAndItsUnlockEndsTheHoldAsLost() {
    RWMutex order =
        new RWMutex(
            runtime,
            locks,
            "order-1",
            "client_1",
            options()
                .leaseTime(Duration.ofSeconds(3))
                .renewInterval(Duration.ofMillis(200))
                .build());
    order.lock();
    // what a forced release by an operator does: the next renewal finds the lease gone (the
    // 3 s lease leaves that renewal time to run before the lease watch would give the hold up
    // on its own, which is reported as lost without a failed renewal)
    locks.deleteMany(new Document());

    assertTrue(
        eventually(
            () -> {
              Counter c =
                  meters
                      .find("mongo.lock.lost")
                      .tags("lock.name", "order", "mode", "write")
                      .counter();
              return c != null && c.count() == 1;
            },
            10_000),
        "the loss was counted");
    // the renewal reports its failure after the losses it found: wait for it too
    Counter failed = meters.get("mongo.lock.renewals").tag("outcome", "failure").counter();
    assertTrue(
        eventually(() -> failed.count() >= 1, 10_000),
        "the renewal that found the lease gone failed");
    assertEquals(1, heldActive("write").activeTasks(), "the hold lasts until its unlock");

    assertThrows(LockLostException.class, order::unlock);
    Timer held = meters.get("mongo.lock.held").tags("mode", "write", "outcome", "lost").timer();
    assertEquals(1, held.count());
    assertEquals("LockLostException", held.getId().getTag("error"));
    assertEquals(0, heldActive("write").activeTasks());
  }

  @Test
  void renewalsOfHeldLeasesAreCounted() throws InterruptedException {
    RWMutex order =
        new RWMutex(
            runtime,
            locks,
            "order-1",
            "client_1",
            options()
                .leaseTime(Duration.ofSeconds(3))
                .renewInterval(Duration.ofMillis(100))
                .build());
    RWMutex other =
        new RWMutex(
            runtime,
            locks,
            "order-2",
            "client_1",
            options()
                .leaseTime(Duration.ofSeconds(3))
                .renewInterval(Duration.ofMillis(100))
                .build());
    // renewed every 100 ms; the 3 s lease keeps a slow renewal on a loaded machine from failing
    Counter succeeded = meters.get("mongo.lock.renewals").tag("outcome", "success").counter();
    assertEquals(0, succeeded.count(), "nothing held, nothing renewed");
    order.lock();
    other.rLock();
    try {
      assertTrue(eventually(() -> succeeded.count() >= 3, 10_000), "renewed: " + succeeded.count());
    } finally {
      other.rUnlock();
      order.unlock();
    }
    assertEquals(0, meters.get("mongo.lock.renewals").tag("outcome", "failure").counter().count());
    assertNull(meters.find("mongo.lock.lost").counter());
  }

  @Test
  void theAcquiresMongoDbCommandsRunInItsScope(TestMongo mongo) {
    List<String> seen = new CopyOnWriteArrayList<>();
    // only this thread's: the heartbeat's renewals run in no scope of the application
    Thread testThread = Thread.currentThread();
    CommandListener commands =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            if (Thread.currentThread() != testThread) {
              return;
            }
            Observation current = observations.getCurrentObservation();
            seen.add(
                event.getCommandName()
                    + " in "
                    + (current == null ? "none" : current.getContext().getName()));
          }
        };
    try (MongoClient client = mongo.newClient(commands)) {
      MongoCollection<Document> traced =
          client
              .getDatabase(locks.getNamespace().getDatabaseName())
              .getCollection(locks.getNamespace().getCollectionName());
      RWMutex order = new RWMutex(runtime, traced, "order-1", "client_1", options().build());
      Observation request = Observation.start("request", observations);
      try (Observation.Scope ignored = request.openScope()) {
        order.lock();
        seen.add("--- acquired");
        order.unlock();
      }
      request.stop();
    }
    int acquired = seen.indexOf("--- acquired");
    assertTrue(acquired > 0, "the acquire sent commands: " + seen);
    for (String command : seen.subList(0, acquired)) {
      assertTrue(command.endsWith(" in mongo.lock.acquire"), seen.toString());
    }
    for (String command : seen.subList(acquired + 1, seen.size())) {
      assertTrue(command.endsWith(" in request"), "the unlock's commands: " + seen);
    }
    assertThat(observations)
        .hasObservationWithNameEqualTo("mongo.lock.acquire")
        .that()
        .hasParentObservationContextMatching(c -> "request".equals(c.getName()));
  }

  @Test
  void aThousandLockIdsUnderOneNameMakeOneMeterPerTagSet() {
    for (int i = 0; i < 1000; i++) {
      RWMutex order = mutex("order-" + i, "client_" + (i % 7));
      if (i % 2 == 0) {
        order.lock();
        order.unlock();
      } else {
        order.rLock();
        order.rUnlock();
      }
    }
    assertEquals(2, meters.get("mongo.lock.acquire").timers().size(), "read and write");
    assertEquals(
        1000, meters.get("mongo.lock.acquire").timers().stream().mapToLong(Timer::count).sum());
    assertEquals(2, meters.get("mongo.lock.acquire.active").longTaskTimers().size());
    assertEquals(2, meters.get("mongo.lock.held").timers().size());
    assertEquals(2, meters.get("mongo.lock.held.active").longTaskTimers().size());
    for (Meter meter : meters.getMeters()) {
      Set<String> values =
          meter.getId().getTags().stream()
              .map(t -> t.getValue())
              .collect(java.util.stream.Collectors.toSet());
      assertTrue(
          values.stream().noneMatch(v -> v.startsWith("order-") || v.startsWith("client_")),
          meter.getId().toString());
    }
  }
}
