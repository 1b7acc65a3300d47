package io.github.mongolock.aspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.LockHandle;
import io.github.mongolock.LockLostException;
import io.github.mongolock.LockMode;
import io.github.mongolock.aspect.LockedService.Failure;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Leases of annotated methods and {@code MongoLocks} calls, as stored in MongoDB and seen from
 * another MongoClient, and what the caller sees when the lock is lost while the method runs.
 */
@ExtendWith(MongoExtension.class)
class LeasesAndLostLocksTest {

  static final String APP = "app-lease";

  public static class LeasedService {

    @WriteLocked(value = "leased", leaseTime = "20s")
    public <T> T write(Supplier<T> body) {
      return body.get();
    }

    @ReadLocked(value = "leased", leaseTime = "${app.lease}")
    public <T> T read(Supplier<T> body) {
      return body.get();
    }

    @WriteLocked("defaulted")
    public <T> T writeWithTheDefaultLease(Supplier<T> body) {
      return body.get();
    }

    @WriteLocked(value = "short", leaseTime = "600ms")
    public <T> T writeShortly(Supplier<T> body) {
      return body.get();
    }

    @WriteLocked(value = "short", leaseTime = "600ms")
    public void failShortly(Runnable body, Failure failure) throws Failure {
      body.run();
      throw failure;
    }
  }

  @Configuration
  @EnableMongoLocks(leaseTime = "45s")
  static class Config {
    @Bean
    ClientIdProvider clientIdProvider() {
      return () -> APP;
    }

    @Bean
    LeasedService leasedService() {
      return new LeasedService();
    }
  }

  @Configuration
  @EnableMongoLocks
  static class DefaultConfig {}

  static MongoClient appClient;
  static AnnotationConfigApplicationContext context;
  static LeasedService service;
  static MongoLocks locks;
  static LockProbe probe;

  @BeforeAll
  static void start(MongoDatabase database) {
    appClient = TestMongo.get().newClient();
    context =
        TestContexts.start(
            appClient.getDatabase(database.getName()), Map.of("app.lease", "PT1M"), Config.class);
    service = context.getBean(LeasedService.class);
    locks = context.getBean(MongoLocks.class);
    probe = new LockProbe(database);
  }

  @AfterAll
  static void stop() {
    context.close();
    probe.close();
    appClient.close();
  }

  /**
   * Deletes the lock document from another client, as an eviction would, and waits inside the body
   * until this process has noticed that its hold is gone.
   */
  static void loseTheLock(String lockId) {
    LockHandle hold = MongoLocks.currentHold();
    assertTrue(hold.isHeld());
    probe.delete(lockId);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (hold.isHeld()) {
      assertTrue(System.nanoTime() < deadline, "the loss was not noticed within 10 s");
      sleep(20);
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void theAnnotationsLeaseIsStoredWhileTheMethodRuns() {
    assertEquals(20_000, service.write(() -> probe.leaseMs("leased")));
    assertEquals(60_000, service.read(() -> probe.leaseMs("leased")), "from a placeholder");
    assertEquals(600, service.writeShortly(() -> probe.leaseMs("short")));
    assertEquals("free", probe.state("leased"));
  }

  @Test
  void theApplicationDefaultAppliesToMethodsAndMongoLocks() {
    assertEquals(Duration.ofSeconds(45), locks.defaultLeaseTime());
    assertEquals(45_000, service.writeWithTheDefaultLease(() -> probe.leaseMs("defaulted")));
    assertEquals(45_000, locks.withWriteLock("programmatic", () -> probe.leaseMs("programmatic")));
    assertEquals(
        7_000,
        locks.withReadLock(
            "programmatic",
            Duration.ofSeconds(1),
            Duration.ofSeconds(7),
            () -> probe.leaseMs("programmatic")));
    assertEquals(Duration.ofSeconds(45), locks.mutex("programmatic").options().leaseTime());
  }

  @Test
  void withoutALeaseSettingTheLeaseIsCoresDefaultOf30Seconds(MongoDatabase database) {
    try (AnnotationConfigApplicationContext plain =
        TestContexts.start(database, DefaultConfig.class)) {
      MongoLocks defaults = plain.getBean(MongoLocks.class);
      assertEquals(Duration.ofSeconds(30), defaults.defaultLeaseTime());
      assertEquals(30_000, defaults.withWriteLock("plain", () -> probe.leaseMs("plain")));
    }
  }

  @Test
  void aLockLostWhileTheMethodRunsIsThrownToTheCallerInsteadOfTheResult() {
    LockLostException lost =
        assertThrows(
            LockLostException.class,
            () ->
                service.writeShortly(
                    () -> {
                      loseTheLock("short");
                      return "looks done";
                    }));
    assertEquals("short", lost.lockID());
    assertEquals(APP, lost.clientID());
    assertEquals("free", probe.state("short"));
    assertThrows(IllegalStateException.class, MongoLocks::currentHold);
  }

  @Test
  void aMethodThatThrowsKeepsItsExceptionWithTheLossSuppressed() {
    Failure failure = new Failure("the method's own failure");
    Failure thrown =
        assertThrows(Failure.class, () -> service.failShortly(() -> loseTheLock("short"), failure));
    assertSame(failure, thrown);
    assertEquals(1, thrown.getSuppressed().length);
    LockLostException lost = assertInstanceOf(LockLostException.class, thrown.getSuppressed()[0]);
    assertEquals("short", lost.lockID());
    assertEquals("free", probe.state("short"));
  }

  @Test
  void aLockLostInAMongoLocksBodyIsThrownToo() {
    assertThrows(
        LockLostException.class,
        () ->
            locks.withWriteLock(
                "short",
                Duration.ZERO,
                Duration.ofMillis(600),
                () -> {
                  loseTheLock("short");
                  return "looks done";
                }));
    IllegalStateException failure = new IllegalStateException("the body's own failure");
    IllegalStateException thrown =
        assertThrows(
            IllegalStateException.class,
            () ->
                locks.withWriteLock(
                    "short",
                    Duration.ZERO,
                    Duration.ofMillis(600),
                    () -> {
                      loseTheLock("short");
                      throw failure;
                    }));
    assertSame(failure, thrown);
    assertInstanceOf(LockLostException.class, thrown.getSuppressed()[0]);
  }

  @Test
  void currentHoldIsTheInnermostHoldAndGivesFencingTokens() {
    assertThrows(IllegalStateException.class, MongoLocks::currentHold, "outside any lock");
    long first = service.write(() -> MongoLocks.currentHold().fencingToken());
    List<Object> inside =
        service.write(
            () -> {
              LockHandle outer = MongoLocks.currentHold();
              LockHandle inner = locks.withReadLock("other", () -> MongoLocks.currentHold());
              return List.of(
                  outer.lockID(),
                  outer.mode(),
                  outer.isHeld(),
                  outer.fencingToken(),
                  inner.lockID(),
                  inner.mode(),
                  MongoLocks.currentHold().equals(outer));
            });
    assertEquals("leased", inside.get(0));
    assertEquals(LockMode.WRITE, inside.get(1));
    assertEquals(true, inside.get(2));
    assertTrue((Long) inside.get(3) > first, "a new hold gets a greater token: " + inside);
    assertEquals(List.of("other", LockMode.READ, true), inside.subList(4, 7));
    assertThrows(IllegalStateException.class, MongoLocks::currentHold, "nothing left behind");
    assertEquals(
        "write",
        service.write(
            () -> {
              assertThrows(UnsupportedOperationException.class, MongoLocks.currentHold()::close);
              return probe.state("leased");
            }),
        "the body cannot release its own lock early");
    assertThrows(
        IllegalStateException.class,
        () -> service.read(() -> MongoLocks.currentHold().fencingToken()),
        "read holds get no tokens");
    assertThrows(IllegalStateException.class, MongoLocks::currentHold);
  }

  @Test
  void currentHoldIsPerThread() {
    AtomicReference<Throwable> otherThread = new AtomicReference<>();
    String here =
        service.write(
            () -> {
              Thread other =
                  new Thread(
                      () -> {
                        try {
                          otherThread.set(new AssertionError(MongoLocks.currentHold()));
                        } catch (IllegalStateException expected) {
                          otherThread.set(expected);
                        }
                      });
              other.start();
              try {
                other.join();
              } catch (InterruptedException e) {
                throw new AssertionError(e);
              }
              return MongoLocks.currentHold().lockID();
            });
    assertEquals("leased", here);
    assertInstanceOf(IllegalStateException.class, otherThread.get(), "no hold on another thread");
  }
}
