package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.await;
import static io.github.mongolock.LockTestSupport.eventually;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.onThread;
import static io.github.mongolock.LockTestSupport.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.MongoCommandException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.github.mongolock.internal.engine.EngineRuntime;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A waiter learns of a release by another process through the change stream instead of its next
 * poll. The "other process" is a holder written and released with raw driver commands through
 * another client, so that no release goes through this JVM's {@link LockSite}.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChangeStreamHandOffTest {

  /** Polling alone pauses 1-2 s between attempts. */
  private static final RWMutexOptions SLOW_POLLING =
      RWMutexOptions.builder()
          .sleepTime(Duration.ofSeconds(2))
          .minSleepTime(Duration.ofSeconds(2))
          .changeStreams(true)
          .build();

  private MongoClient waiterClient;

  @BeforeEach
  void separateClient() {
    waiterClient = TestMongo.get().newClient();
  }

  @AfterEach
  void closeClient() {
    waiterClient.close();
  }

  private MongoCollection<Document> asSeenByWaiter(MongoCollection<Document> locks) {
    return waiterClient
        .getDatabase(locks.getNamespace().getDatabaseName())
        .getCollection(locks.getNamespace().getCollectionName());
  }

  @Test
  void aWaiterIsWokenByAReleaseInAnotherProcess(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    MongoCollection<Document> waiterView = asSeenByWaiter(locks);
    assertFalse(RWMutexOptions.defaults().changeStreams(), "off by default");
    RWMutexOptions polling = SLOW_POLLING.toBuilder().changeStreams(false).build();
    List<Double> streamed = new ArrayList<>();
    List<Double> polled = new ArrayList<>();
    int trials = 7;
    for (int i = 0; i < trials; i++) {
      // same run, taking turns, so both see the same machine load; half release by delete
      boolean delete = i % 2 == 0;
      streamed.add(handOffMillis(locks, waiterView, "streamed-" + i, SLOW_POLLING, delete));
      polled.add(handOffMillis(locks, waiterView, "polled-" + i, polling, delete));
    }
    double withStream = median(streamed);
    double withoutStream = median(polled);
    System.out.printf(
        "[mongo-lock] hand-off to a waiter on another client, sleepTime 2 s, %d trials: median"
            + " %.1f ms with change streams %s, %.1f ms polling only %s%n",
        trials, withStream, streamed, withoutStream, polled);
    assertTrue(withStream < 1000, "woken by the stream: median " + withStream + " ms");
    assertTrue(
        withoutStream > 2 * withStream,
        "polling alone waits for the pause to end: " + withoutStream + " ms vs " + withStream);
  }

  /** A holder of another process releases; how long until the waiter of this JVM holds. */
  private static double handOffMillis(
      MongoCollection<Document> locks,
      MongoCollection<Document> waiterView,
      String lockID,
      RWMutexOptions options,
      boolean releaseByDelete) {
    locks.insertOne(
        new Document("lockID", lockID)
            .append("writer", "other-process")
            .append("readers", List.of()));
    RWMutex waiter = new RWMutex(waiterView, lockID, "waiter", options);
    CompletableFuture<Long> acquiredAt =
        onThread(
            "waiter-" + lockID,
            () -> {
              waiter.lock(Duration.ofSeconds(30));
              long at = System.nanoTime();
              waiter.unlock();
              return at;
            });
    sleep(700); // the waiter is in its first pause, the stream is open
    assertFalse(acquiredAt.isDone(), "held by the other process");
    long releasedAt = System.nanoTime();
    if (releaseByDelete) {
      locks.deleteOne(Filters.eq("lockID", lockID));
    } else {
      locks.updateOne(Filters.eq("lockID", lockID), Updates.set("writer", ""));
    }
    return (await(acquiredAt) - releasedAt) / 1e6;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  @Test
  void eventsAboutOtherLockDocumentsDoNotWakeAWaiterThatKnowsItsOwn(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    Watch watch = new Watch(locks);
    // no waiting-writer mark: its update would be an event about the waiter's own document
    RWMutexOptions options = SLOW_POLLING.toBuilder().writerPreference(false).build();
    locks.insertOne(
        new Document("lockID", "mine")
            .append("writer", "other-process")
            .append("readers", List.of()));
    RWMutex waiter = new RWMutex(asSeenByWaiter(locks), "mine", "waiter", options);
    CompletableFuture<Long> acquiredAt =
        onThread(
            "waiter",
            () -> {
              waiter.lock(Duration.ofSeconds(30));
              long at = System.nanoTime();
              waiter.unlock();
              return at;
            });
    assertTrue(eventually(watch::isOpen, 5_000));
    sleep(300); // the poller has read its document
    long wakeUps = wakeUps(locks, "mine");
    for (int i = 0; i < 20; i++) {
      locks.insertOne(new Document("lockID", "other-" + i).append("writer", "someone"));
      locks.deleteOne(Filters.eq("lockID", "other-" + i)); // a release of another lock
    }
    sleep(300);
    assertEquals(wakeUps, wakeUps(locks, "mine"), "not woken by other locks' releases");
    assertFalse(acquiredAt.isDone());
    long releasedAt = System.nanoTime();
    locks.deleteOne(Filters.eq("lockID", "mine"));
    double millis = (await(acquiredAt) - releasedAt) / 1e6;
    assertTrue(millis < 1000, "woken by its own document's deletion: " + millis + " ms");
  }

  /** Local releases and stream wake-ups of a lock's poller so far. */
  private static long wakeUps(MongoCollection<Document> locks, String lockID) {
    return LockRuntime.shared().engine.wakeUps(locks, lockID);
  }

  /** The shared runtime's change-stream watch of a collection, as the tests see it. */
  private record Watch(MongoCollection<Document> locks) {
    private EngineRuntime.ChangeWatchState state() {
      return LockRuntime.shared().engine.watchState(locks);
    }

    boolean isOpen() {
      return state() != null && state().open();
    }

    int timesOpened() {
      return state() == null ? 0 : state().timesOpened();
    }

    boolean isBackingOff() {
      return state() != null && state().backingOff();
    }
  }

  @Test
  void theCursorClosesWhenNobodyWaitsAndOpensAgainForTheNextWait(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    Watch watch = new Watch(locks);
    assertFalse(watch.isOpen(), "no cursor before anyone waits");
    RWMutexOptions streaming = LockTestSupport.fast().toBuilder().changeStreams(true).build();
    RWMutex holder = new RWMutex(locks, "idle", "holder", streaming);
    RWMutex waiter = new RWMutex(asSeenByWaiter(locks), "idle", "waiter", streaming);
    holder.lock();
    CompletableFuture<Void> waiting =
        onThread(
            "waiter",
            () -> {
              waiter.lock();
              waiter.unlock();
            });
    assertTrue(eventually(watch::isOpen, 5_000), "a waiter opened the cursor");
    int opened = watch.timesOpened();
    holder.unlock();
    await(waiting);

    long idleFrom = System.nanoTime();
    assertTrue(eventually(() -> !watch.isOpen(), 10_000), "closed after the idle time");
    long idleMillis = (System.nanoTime() - idleFrom) / 1_000_000;
    assertTrue(
        idleMillis >= TimeUnit.NANOSECONDS.toMillis(EngineRuntime.watchIdleCloseNanos()) - 500,
        "not before the idle time: " + idleMillis + " ms");
    assertEquals(opened, watch.timesOpened());

    holder.lock();
    waiting =
        onThread(
            "waiter",
            () -> {
              waiter.lock();
              waiter.unlock();
            });
    assertTrue(eventually(watch::isOpen, 5_000), "opened again for the next wait");
    assertEquals(opened + 1, watch.timesOpened());
    holder.unlock();
    await(waiting);
  }

  @Test
  void whenTheServerRefusesChangeStreamsWaitersPoll(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    AtomicInteger refused = new AtomicInteger();
    MongoCollection<Document> standalone = refusingWatch(asSeenByWaiter(locks), refused);
    RWMutexOptions options =
        RWMutexOptions.builder().sleepTime(Duration.ofMillis(100)).changeStreams(true).build();
    RWMutex waiter = new RWMutex(standalone, "refused", "waiter", options);
    Watch watch = new Watch(locks);
    for (int i = 0; i < 3; i++) {
      locks.insertOne(
          new Document("lockID", "refused")
              .append("writer", "other-process")
              .append("readers", List.of()));
      CompletableFuture<Void> waiting =
          onThread(
              "waiter",
              () -> {
                waiter.lock(Duration.ofSeconds(10));
                waiter.unlock();
              });
      sleep(300);
      assertFalse(waiting.isDone());
      locks.deleteOne(Filters.eq("lockID", "refused"));
      await(waiting); // polling got it, and the stream's failure did not reach the acquire
    }
    assertEquals(1, refused.get(), "tried once, then left alone for a minute");
    assertTrue(watch.isBackingOff());
    assertFalse(watch.isOpen());
    assertNull(LockTestSupport.storedRaw(locks, "refused"));
  }

  /**
   * The collection as on a standalone server: {@code watch} fails as {@code $changeStream} does
   * there.
   */
  private static MongoCollection<Document> refusingWatch(
      MongoCollection<Document> delegate, AtomicInteger refused) {
    return LockTestSupport.intercepted(
        delegate,
        (name, on, call) -> {
          if (name.equals("watch")) {
            refused.incrementAndGet();
            throw new MongoCommandException(
                BsonDocument.parse(
                    "{ok: 0, code: 40573, codeName: 'Location40573', errmsg: 'The"
                        + " $changeStream stage is only supported on replica sets'}"),
                new ServerAddress());
          }
          return call.proceed();
        });
  }
}
