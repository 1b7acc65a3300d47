package io.github.mongolock.aspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.LockTimeoutException;
import io.github.mongolock.LockUpgradeException;
import io.github.mongolock.RWMutex;
import io.github.mongolock.aspect.LockedService.Failure;
import io.github.mongolock.aspect.LockedService.Order;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.aop.support.AopUtils;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The annotations in proxy mode, observed from another MongoClient with another client ID: the lock
 * is held exactly while the method runs.
 */
@ExtendWith(MongoExtension.class)
class AnnotatedMethodsTest {

  static final String APP = "app-1";

  @Configuration
  @EnableMongoLocks
  static class Config {
    @Bean
    ClientIdProvider clientIdProvider() {
      return () -> APP;
    }

    @Bean
    LockedService lockedService() {
      return new LockedService();
    }

    @Bean
    LockedService.LockNames lockNames() {
      return new LockedService.LockNames();
    }
  }

  /** A full @Configuration class is itself a CGLIB subclass that overrides its methods. */
  @Configuration
  public static class LockedConfiguration {
    @WriteLocked("configuration")
    public <T> T locked(java.util.function.Supplier<T> body) {
      return body.get();
    }
  }

  static MongoClient appClient;
  static final List<String> lockCommands = new CopyOnWriteArrayList<>();
  static AnnotationConfigApplicationContext context;
  static LockedService service;
  static LockProbe probe;

  @BeforeAll
  static void start(MongoDatabase database) {
    CommandListener recorder =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            var collection = event.getCommand().get(event.getCommandName());
            if (collection != null
                && collection.isString()
                && collection.asString().getValue().equals("locks")) {
              lockCommands.add(event.getCommandName());
            }
          }
        };
    appClient = TestMongo.get().newClient(recorder);
    context =
        TestContexts.start(
            appClient.getDatabase(database.getName()),
            Map.of("app.lock", "configured-lock"),
            Config.class,
            LockedConfiguration.class);
    service = context.getBean(LockedService.class);
    probe = new LockProbe(database);
  }

  @AfterAll
  static void stop() {
    context.close();
    probe.close();
    appClient.close();
  }

  @Test
  void theServiceIsProxied() {
    assertTrue(AopUtils.isAopProxy(service));
  }

  @Test
  void methodsOfCglibEnhancedClassesAreLocked() {
    LockedConfiguration configuration = context.getBean(LockedConfiguration.class);
    assertEquals("write", configuration.locked(() -> probe.state("configuration")));
    assertEquals("free", probe.state("configuration"));
  }

  @Test
  void writeLockIsHeldExactlyWhileTheMethodRuns() {
    assertEquals("free", probe.state("orders"));
    String inside = service.write(() -> probe.state("orders"));
    assertEquals("write", inside);
    assertEquals("free", probe.state("orders"));
  }

  @Test
  void readLockIsSharedWithOtherReadersButNotWriters() {
    String inside = service.read(() -> probe.state("orders"));
    assertEquals("read", inside);
    assertEquals("free", probe.state("orders"));
  }

  @Test
  void theLockIsReleasedWhenTheMethodThrowsAndItsExceptionPropagatesUnchanged() {
    Failure failure = new Failure("boom");
    Failure thrown = assertThrows(Failure.class, () -> service.fail(failure));
    assertSame(failure, thrown);
    assertEquals(0, thrown.getSuppressed().length);
    assertEquals("free", probe.state("orders"));

    IllegalStateException unchecked = new IllegalStateException("unchecked");
    assertSame(
        unchecked,
        assertThrows(
            IllegalStateException.class,
            () ->
                service.write(
                    () -> {
                      throw unchecked;
                    })));
    assertEquals("free", probe.state("orders"));
  }

  @Test
  void theLockIdIsATemplateOverArgumentsBeansAndPlaceholders() {
    assertEquals(
        List.of("write", "free"),
        service.writeOrder(
            new Order("42"), () -> List.of(probe.state("order-42"), probe.state("order-43"))));
    assertEquals(
        "read", service.readOrderWithBean(new Order("7"), () -> probe.state("order-7-eu")));
    assertEquals("write", service.writeConfigured(() -> probe.state("configured-lock")));
  }

  @Test
  void anExpressionThatYieldsNullFailsBeforeAnythingIsWritten() {
    lockCommands.clear();
    AtomicBoolean ran = new AtomicBoolean();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> service.writeOrder(new Order(null), () -> ran.getAndSet(true)));
    assertTrue(e.getMessage().contains("order-#{#order.id}"), e.getMessage());
    assertTrue(e.getMessage().contains("null"), e.getMessage());
    assertTrue(e.getMessage().contains("writeOrder"), e.getMessage());
    assertFalse(ran.get());
    assertEquals(List.of(), lockCommands);

    assertThrows(
        IllegalArgumentException.class,
        () -> service.writeOrder(new Order("  "), () -> ran.getAndSet(true)));
    assertFalse(ran.get());
    assertEquals(List.of(), lockCommands);

    // the recorder does see lock writes
    service.writeOrder(new Order("1"), () -> true);
    assertFalse(lockCommands.isEmpty());
  }

  @Test
  void aTimeoutThrowsAnExceptionNamingTheLockAndTheMethodDoesNotRun() {
    RWMutex other = probe.mutex("orders");
    other.lock();
    try {
      AtomicBoolean ran = new AtomicBoolean();
      long start = System.nanoTime();
      LockTimeoutException e =
          assertThrows(
              LockTimeoutException.class,
              () -> service.writeWaitingBriefly(() -> ran.getAndSet(true)));
      long waitedMs = (System.nanoTime() - start) / 1_000_000;
      assertFalse(ran.get());
      assertTrue(e.getMessage().contains("orders"), e.getMessage());
      assertEquals("orders", e.lockID());
      assertEquals(APP, e.clientID());
      assertTrue(waitedMs >= 250 && waitedMs < 10_000, "waited " + waitedMs + " ms");
    } finally {
      other.unlock();
    }
    assertEquals("free", probe.state("orders"));
  }

  @Test
  void nestedCallsOnOneThreadReEnter() {
    // write inside write, read inside write: the inner calls re-enter; the outer still holds after
    List<String> states =
        service.write(
            () ->
                List.of(
                    service.write(() -> probe.state("orders")),
                    service.read(() -> probe.state("orders")),
                    probe.state("orders")));
    assertEquals(List.of("write", "write", "write"), states);
    assertEquals("free", probe.state("orders"));
  }

  @Test
  void writeInsideReadOnTheSameLockFailsFast() {
    long start = System.nanoTime();
    LockUpgradeException e =
        assertThrows(
            LockUpgradeException.class, () -> service.read(() -> service.write(() -> "never")));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(e.getMessage().contains("orders"), e.getMessage());
    assertTrue(tookMs < 5_000, "took " + tookMs + " ms");
    assertEquals("free", probe.state("orders"));
  }

  @Test
  void mongoLocksUsesTheSameClientIdAndRules() {
    MongoLocks locks = context.getBean(MongoLocks.class);
    assertEquals(APP, locks.clientId());
    assertEquals(APP, locks.mutex("orders").clientID());
    assertEquals("write", locks.withWriteLock("orders", () -> probe.state("orders")));
    assertEquals("read", locks.withReadLock("orders", () -> probe.state("orders")));
    assertEquals("free", probe.state("orders"));
    // programmatic and annotated calls re-enter each other
    assertEquals(
        "write", service.write(() -> locks.withReadLock("orders", () -> probe.state("orders"))));
    assertThrows(
        LockUpgradeException.class,
        () -> locks.withReadLock("orders", () -> service.write(() -> "never")));
    assertThrows(IllegalArgumentException.class, () -> locks.withWriteLock(" ", () -> "never"));
    assertEquals("free", probe.state("orders"));
  }
}
