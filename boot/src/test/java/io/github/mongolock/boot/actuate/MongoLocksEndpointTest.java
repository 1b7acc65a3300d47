package io.github.mongolock.boot.actuate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.LockLostException;
import io.github.mongolock.LockMode;
import io.github.mongolock.LockRuntime;
import io.github.mongolock.RWMutex;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.aspect.MongoLocks;
import io.github.mongolock.boot.actuate.MongoLocksEndpoint.Hold;
import io.github.mongolock.boot.actuate.MongoLocksEndpoint.Lock;
import io.github.mongolock.boot.actuate.MongoLocksEndpoint.Overview;
import io.github.mongolock.boot.actuate.MongoLocksEndpoint.Release;
import io.github.mongolock.testkit.MongoExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.autoconfigure.AutoConfigurations;

/**
 * The endpoint's operations on real locks, through the endpoint bean the auto-configuration made.
 */
@ExtendWith(MongoExtension.class)
class MongoLocksEndpointTest {

  private static final RWMutexOptions OPTIONS =
      RWMutexOptions.builder().leaseTime(Duration.ofSeconds(6)).build();

  private MongoCollection<Document> collection;
  private LockRuntime runtime;
  private MongoLocks locks;
  private final List<HolderThread> holders = new java.util.ArrayList<>();

  @BeforeEach
  void setUp(MongoDatabase database) {
    collection = database.getCollection("locks");
    runtime = LockRuntime.create();
    locks = new MongoLocks(runtime, collection, () -> "app-1", Duration.ofMillis(1500), OPTIONS);
  }

  @AfterEach
  void tearDown() {
    holders.forEach(HolderThread::close);
    runtime.close();
  }

  private void withEndpoint(java.util.function.Consumer<MongoLocksEndpoint> test) {
    BootContexts.runner()
        .withConfiguration(AutoConfigurations.of(MongoLockEndpointAutoConfiguration.class))
        .withBean(MongoLocks.class, () -> locks)
        .withPropertyValues("management.endpoints.web.exposure.include=mongolocks")
        .run(
            context -> {
              assertNull(context.getStartupFailure());
              test.accept(context.getBean(MongoLocksEndpoint.class));
            });
  }

  @Test
  void theDefaultsShowTheWriteConcernAsThePropertyNamesIt() {
    // mongo-lock.write-concern=journaled is j: true without a w: not the server's default
    assertEquals("journaled", MongoLocksEndpoint.Defaults.writeConcern(WriteConcern.JOURNALED));
    assertEquals("default", MongoLocksEndpoint.Defaults.writeConcern(WriteConcern.ACKNOWLEDGED));
    assertEquals("majority", MongoLocksEndpoint.Defaults.writeConcern(WriteConcern.MAJORITY));
    assertEquals("2", MongoLocksEndpoint.Defaults.writeConcern(new WriteConcern(2)));
    assertEquals(
        "majority, journaled",
        MongoLocksEndpoint.Defaults.writeConcern(WriteConcern.MAJORITY.withJournal(true)));
  }

  @Test
  void theOverviewShowsClientIdDefaultsAndTheRuntimesHolds() {
    withEndpoint(
        endpoint -> {
          Overview idle = endpoint.overview();
          assertEquals("app-1", idle.clientId());
          assertEquals(collection.getNamespace().getFullName(), idle.collection());
          assertEquals("PT1.5S", idle.defaults().waitTimeout());
          assertEquals("PT6S", idle.defaults().leaseTime());
          assertEquals("PT2S", idle.defaults().renewInterval()); // a third of the lease
          assertEquals(OPTIONS.writerPreference(), idle.defaults().writerPreference());
          assertEquals("majority", idle.defaults().writeConcern());
          assertEquals("majority", idle.defaults().readConcern());
          assertTrue(idle.holds().isEmpty(), () -> "holds before any lock: " + idle.holds());

          HolderThread writer = holder("report", "app-1");
          writer.write();
          HolderThread reader1 = holder("catalog", "app-1");
          HolderThread reader2 = holder("catalog", "app-1");
          reader1.read();
          reader2.read();
          List<Hold> holds = endpoint.overview().holds();
          assertTrue(
              holds.contains(
                  new Hold(
                      "report",
                      "app-1",
                      LockMode.WRITE,
                      collection.getNamespace().getFullName(),
                      1)),
              () -> "holds: " + holds);
          Hold catalog =
              holds.stream().filter(h -> h.lockId().equals("catalog")).findFirst().orElseThrow();
          assertEquals(LockMode.READ, catalog.mode());
          assertEquals(2, catalog.holds(), () -> "two threads share the read hold: " + holds);

          writer.unlockWrite();
          reader1.unlockRead();
          reader2.unlockRead();
          assertTrue(endpoint.overview().holds().isEmpty(), () -> "holds after release");
        });
  }

  @Test
  void theOverviewListsTheHoldsOfTheLocksOwnRuntimeOnly() {
    withEndpoint(
        endpoint -> {
          RWMutex elsewhere = new RWMutex(collection, "elsewhere", "app-1"); // shared runtime
          elsewhere.lock();
          try {
            List<Hold> inside = locks.withWriteLock("job", () -> endpoint.overview().holds());
            assertEquals(
                List.of(
                    new Hold(
                        "job",
                        "app-1",
                        LockMode.WRITE,
                        collection.getNamespace().getFullName(),
                        1)),
                inside);
          } finally {
            elsewhere.unlock();
          }
        });
  }

  @Test
  void oneLocksStoredState() {
    withEndpoint(
        endpoint -> {
          assertNull(endpoint.lock("never-used"));

          HolderThread other = holder("order-42", "node-b");
          other.write();
          Lock held = endpoint.lock("order-42");
          assertNotNull(held);
          assertEquals("order-42", held.lockId());
          assertEquals("node-b", held.writer());
          assertTrue(held.readers().isEmpty(), () -> "readers: " + held.readers());
          assertEquals(1, held.holders().size(), () -> "holders: " + held.holders());
          assertTrue(held.problems().isEmpty(), () -> "problems: " + held.problems());
          assertEquals("node-b", held.holders().get(0).clientId());
          assertEquals(LockMode.WRITE, held.holders().get(0).mode());
          // the lease runs out about leaseTime after the acquire, by the server's clock
          Instant serverTime = Instant.parse(held.serverTime());
          Instant leaseEnd = Instant.parse(held.holders().get(0).leaseExpiresAt());
          assertTrue(
              leaseEnd.isAfter(serverTime) && !leaseEnd.isAfter(serverTime.plusSeconds(7)),
              () -> "lease " + leaseEnd + " vs server time " + serverTime);

          other.unlockWrite();
          Lock after = endpoint.lock("order-42");
          assertTrue(after == null || after.writer() == null, () -> "after unlock: " + after);
        });
  }

  @Test
  void aForcedReleaseOfOneClientLeavesTheOthers() {
    withEndpoint(
        endpoint -> {
          HolderThread a = holder("catalog", "reader-a");
          HolderThread b = holder("catalog", "reader-b");
          a.read();
          b.read();

          Release released = endpoint.release("catalog", "reader-a");
          assertNotNull(released);
          assertEquals("catalog", released.lockId());
          assertEquals("reader-a", released.clientId());
          assertEquals(
              List.of("reader-a", "reader-b"),
              released.before().readers().stream().sorted().toList());
          assertEquals(List.of("reader-b"), endpoint.lock("catalog").readers());

          // nothing left of reader-a: a second release finds nothing, and reader-a learns of it
          assertNull(endpoint.release("catalog", "reader-a"));
          assertThrows(LockLostException.class, a::unlockRead);
          b.unlockRead();
        });
  }

  @Test
  void aForcedReleaseOfEveryHolderFreesTheLock() {
    withEndpoint(
        endpoint -> {
          assertNull(endpoint.release("never-used", null));

          HolderThread stuck = holder("nightly", "stuck-node");
          stuck.write();
          HolderThread next = holder("nightly", "next-node");
          assertFalse(next.tryWrite(Duration.ofMillis(200)), "held by stuck-node");

          Release released = endpoint.release("nightly", null);
          assertNotNull(released);
          assertNull(released.clientId());
          assertEquals("stuck-node", released.before().writer());
          assertTrue(next.tryWrite(Duration.ofSeconds(2)), "free after the forced release");
          assertEquals("next-node", endpoint.lock("nightly").writer());
          assertThrows(LockLostException.class, stuck::unlockWrite);
          next.unlockWrite();
        });
  }

  @Test
  void badInputIsRefusedNamingTheLock() {
    withEndpoint(
        endpoint -> {
          InvalidEndpointRequestException blankClient =
              assertThrows(
                  InvalidEndpointRequestException.class, () -> endpoint.release("job-7", " "));
          assertTrue(
              blankClient.getMessage().contains("job-7")
                  && blankClient.getMessage().contains("clientId"),
              blankClient.getMessage());
          assertThrows(InvalidEndpointRequestException.class, () -> endpoint.lock(" "));
          assertThrows(InvalidEndpointRequestException.class, () -> endpoint.release("", null));
          assertEquals(0, collection.countDocuments(new Document("lockID", "job-7")));
        });
  }

  private HolderThread holder(String lockId, String clientId) {
    HolderThread holder =
        new HolderThread(new RWMutex(runtime, collection, lockId, clientId, OPTIONS));
    holders.add(holder);
    return holder;
  }

  /** A mutex used from one thread of its own, as holds belong to the thread that took them. */
  static final class HolderThread implements AutoCloseable {
    private final RWMutex mutex;
    private final ExecutorService thread = Executors.newSingleThreadExecutor();

    HolderThread(RWMutex mutex) {
      this.mutex = mutex;
    }

    void write() {
      call(() -> mutex.lock(Duration.ofSeconds(3)));
    }

    boolean tryWrite(Duration wait) {
      return call(() -> mutex.tryLock(wait));
    }

    void read() {
      call(() -> mutex.rLock(Duration.ofSeconds(3)));
    }

    void unlockWrite() {
      call(mutex::unlock);
    }

    void unlockRead() {
      call(mutex::rUnlock);
    }

    private void call(Runnable step) {
      call(
          () -> {
            step.run();
            return null;
          });
    }

    private <T> T call(java.util.concurrent.Callable<T> step) {
      Future<T> result = thread.submit(step);
      try {
        return result.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof RuntimeException unchecked) {
          throw unchecked;
        }
        throw new AssertionError(e.getCause());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }

    @Override
    public void close() {
      thread.shutdownNow();
    }
  }
}
