package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.await;
import static io.github.mongolock.LockTestSupport.awaitBlocked;
import static io.github.mongolock.LockTestSupport.eventually;
import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.onThread;
import static io.github.mongolock.LockTestSupport.sleep;
import static io.github.mongolock.LockTestSupport.stored;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static io.github.mongolock.LockTestSupport.waitingMark;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Timeouts, interruption, counted re-entry, downgrade/upgrade, writer preference, retries. */
@ExtendWith(MongoExtension.class)
class AcquisitionSemanticsTest {

  private static final String LOCK = "lock_1";
  private MongoDatabase db;
  private MongoCollection<Document> locks;

  @BeforeEach
  void freshLocks(MongoDatabase db) {
    this.db = db;
    locks = freshCollection(db);
  }

  private RWMutex mutex(String client) {
    return new RWMutex(locks, LOCK, client, fast());
  }

  // ------------------------------------------------------------------ timeouts and interruption

  @Test
  void tryLockIsOneAttempt() {
    mutex("a").lock();
    assertFalse(mutex("b").tryLock());
    assertFalse(mutex("b").tryRLock());
    assertEquals("a", stored(locks, LOCK).get("writer"));
    assertFalse(stored(locks, LOCK).containsKey("writerWaiting"), "a single try leaves no mark");
  }

  @Test
  void timeoutsAreHonouredAndLeaveNothingBehind() {
    mutex("a").lock();
    long start = System.nanoTime();
    assertFalse(mutex("b").tryLock(Duration.ofMillis(300)));
    long waited = System.nanoTime() - start;
    assertTrue(waited >= Duration.ofMillis(300).toNanos(), "waited " + waited);
    LockTimeoutException e =
        assertThrows(LockTimeoutException.class, () -> mutex("b").lock(Duration.ofMillis(100)));
    assertTrue(e.getMessage().contains("lock_1") && e.getMessage().contains("b"), e.getMessage());
    assertThrows(LockTimeoutException.class, () -> mutex("c").rLock(Duration.ofMillis(100)));
    Document doc = stored(locks, LOCK);
    assertEquals("a", doc.get("writer"));
    assertEquals(List.of(), doc.get("readers"));
    assertFalse(doc.containsKey("writerWaiting"), "the timed-out writer removed its mark: " + doc);
    mutex("a").unlock();
    assertNull(stored(locks, LOCK));
  }

  @Test
  void interruptEndsAWaitAndLeavesNothingBehind() throws Exception {
    mutex("a").lock();
    AtomicReference<Thread> waiter = new AtomicReference<>();
    AtomicBoolean flagAfter = new AtomicBoolean();
    CompletableFuture<Void> waiting =
        onThread(
            "waiter",
            () -> {
              waiter.set(Thread.currentThread());
              try {
                mutex("b").lock();
              } finally {
                flagAfter.set(Thread.currentThread().isInterrupted());
              }
            });
    assertTrue(eventually(() -> "b".equals(waitingMark(locks, LOCK)), 30_000), "b polls");
    waiter.get().interrupt();
    LockInterruptedException e = assertThrows(LockInterruptedException.class, () -> await(waiting));
    assertTrue(e.getMessage().contains("lock_1"));
    assertTrue(flagAfter.get(), "interrupt flag set again");
    assertEquals("a", stored(locks, LOCK).get("writer"));
    assertFalse(stored(locks, LOCK).containsKey("writerWaiting"), "" + storedRaw(locks, LOCK));
    mutex("a").unlock();
    assertNull(stored(locks, LOCK));
    assertTrue(mutex("b").tryLock(), "nothing of b's was left held locally");
  }

  @Test
  void badTimeoutIsRejectedNamingLockAndClient() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> mutex("a").tryLock(Duration.ofMillis(-1)));
    assertTrue(e.getMessage().contains("lock_1") && e.getMessage().contains("a"));
    assertThrows(IllegalArgumentException.class, () -> mutex("a").rLock(null));
    assertNull(stored(locks, LOCK));
  }

  // ------------------------------------------------------------------ re-entry, downgrade, upgrade

  @Test
  void handlesWorkWithTryWithResources() {
    try (LockHandle outer = mutex("a").acquireWrite(Duration.ofSeconds(1))) {
      try (LockHandle inner = mutex("a").acquireWrite()) {
        assertEquals(LockMode.WRITE, inner.mode());
      }
      assertEquals("a", stored(locks, LOCK).get("writer"), "outer hold remains");
      assertTrue(outer.isOpen());
    }
    assertNull(stored(locks, LOCK));
  }

  @Test
  void downgradeKeepsTheReadLockAfterTheWriteLockIsReleased() {
    RWMutex a = mutex("a");
    a.lock();
    a.rLock();
    assertEquals(
        new Document("lockID", LOCK).append("writer", "a").append("readers", List.of("a")),
        stored(locks, LOCK));
    a.unlock();
    assertEquals(List.of("a"), stored(locks, LOCK).get("readers"));
    assertEquals("", stored(locks, LOCK).get("writer"));
    assertTrue(mutex("b").tryRLock(), "others may read now");
    assertFalse(mutex("c").tryLock());
    a.rUnlock();
    mutex("b").rUnlock();
    assertNull(stored(locks, LOCK));
  }

  @Test
  void upgradeFailsAtOnceAndChangesNothing() {
    RWMutex a = mutex("a");
    a.rLock();
    long start = System.nanoTime();
    LockUpgradeException e = assertThrows(LockUpgradeException.class, a::lock);
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(2).toNanos());
    assertTrue(e.getMessage().contains("lock_1") && e.getMessage().contains("a"), e.getMessage());
    assertEquals(List.of("a"), stored(locks, LOCK).get("readers"));
    assertTrue(a.isReadLockedByCurrentThread());
    a.rUnlock();
    assertNull(stored(locks, LOCK));
  }

  // ------------------------------------------------------------------ threads of one JVM

  @Test
  void threadsSharingAClientIdExcludeEachOther() {
    RWMutex shared = mutex("node-1");
    shared.lock();
    assertTrue(shared.isWriteLockedByCurrentThread());
    assertFalse(await(onThread("same-client", () -> shared.tryLock())), "another thread");
    assertFalse(await(onThread("same-client-reader", () -> shared.tryRLock())));
    CompletableFuture<Void> second =
        onThread(
            "same-client-waiter",
            () -> {
              shared.lock();
              shared.unlock();
            });
    awaitBlocked("same-client-waiter");
    assertFalse(second.isDone());
    shared.unlock();
    await(second);
    assertNull(stored(locks, LOCK));
  }

  @Test
  void readingThreadsOfOneClientShareOneEntryAndTheLastReleasesIt() {
    RWMutex shared = mutex("node-1");
    shared.rLock();
    await(onThread("reader-2", () -> assertTrue(shared.tryRLock())));
    assertEquals(List.of("node-1"), stored(locks, LOCK).get("readers"));
    shared.rUnlock();
    assertEquals(List.of("node-1"), stored(locks, LOCK).get("readers"), "reader-2 still holds");
    assertThrows(LockNotHeldException.class, shared::rUnlock, "this thread holds no more");
  }

  @Test
  void unlockFromAThreadThatDoesNotHoldItFails() {
    RWMutex shared = mutex("node-1");
    shared.lock();
    assertThrows(LockNotHeldException.class, () -> await(onThread("other", shared::unlock)));
    assertEquals("node-1", stored(locks, LOCK).get("writer"));
    shared.unlock();
  }

  @Test
  void aHandleReleasesTheHoldOfTheThreadThatAcquiredIt() {
    RWMutex shared = mutex("node-1");
    LockHandle handle = await(onThread("acquirer", () -> shared.acquireWrite()));
    assertEquals("node-1", stored(locks, LOCK).get("writer"));
    handle.close();
    handle.close();
    assertNull(stored(locks, LOCK));
  }

  @Test
  void manyWaitingThreadsShareOnePollerPerLock() {
    AtomicInteger updates = new AtomicInteger();
    CommandListener counter =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            if (event.getCommandName().equals("update")) {
              updates.incrementAndGet();
            }
          }
        };
    try (MongoClient client = TestMongo.get().newClient(counter)) {
      MongoCollection<Document> counted =
          client.getDatabase(db.getName()).getCollection(locks.getNamespace().getCollectionName());
      RWMutexOptions options = RWMutexOptions.defaults(); // sleepTime 40 ms
      new RWMutex(locks, LOCK, "holder", options).lock();
      int waiters = 100;
      List<CompletableFuture<Void>> futures = new ArrayList<>();
      for (int i = 0; i < waiters; i++) {
        RWMutex m = new RWMutex(counted, LOCK, "waiter-" + i, options);
        futures.add(
            onThread(
                "waiter-" + i,
                () -> {
                  m.lock();
                  m.unlock();
                }));
      }
      for (int i = 0; i < waiters; i++) {
        awaitBlocked("waiter-" + i); // every waiter is in the lock: one polls, the others wait
      }
      int before = updates.get();
      sleep(1000);
      int perSecond = updates.get() - before;
      new RWMutex(locks, LOCK, "holder", options).unlock();
      futures.forEach(LockTestSupport::await);
      System.out.printf(
          "[mongo-lock] %d waiting threads sent %d update commands in 1 s%n", waiters, perSecond);
      // one poller at sleepTime 40 ms (jittered 20-40 ms) is 25-50 attempts a second; 100 pollers
      // would be 100 times that
      assertTrue(perSecond <= 120, "update commands in one second: " + perSecond);
      assertTrue(perSecond >= 5, "the poller must keep polling: " + perSecond);
    }
  }

  // ------------------------------------------------------------------ writer preference

  @Test
  void aWaitingWriterKeepsNewReadersOutAndGetsTheLock() {
    mutex("r1").rLock();
    CompletableFuture<Void> writer = onThread("writer", () -> mutex("w").lock());
    assertTrue(eventually(() -> "w".equals(waitingMark(locks, LOCK)), 30_000), "w marked");
    assertFalse(mutex("r2").tryRLock(Duration.ofMillis(200)), "new reader waits behind writer");
    assertTrue(mutex("r1").tryRLock(), "a client already reading may re-enter");
    mutex("r1").rUnlock();
    assertFalse(writer.isDone());
    mutex("r1").rUnlock();
    await(writer);
    assertEquals("w", stored(locks, LOCK).get("writer"));
    assertFalse(stored(locks, LOCK).containsKey("writerWaiting"), "" + storedRaw(locks, LOCK));
  }

  @Test
  void aCrashedWaitingWriterDoesNotBlockReadersForever() {
    mutex("r1").rLock();
    // a writer marked itself waiting and died: its mark is never refreshed
    locks.updateOne(
        Filters.eq("lockID", LOCK),
        Updates.combine(
            Updates.set("writerWaiting.client", "ghost"),
            Updates.set("writerWaiting.ttlMs", 500L),
            Updates.currentDate("writerWaiting.at")));
    assertFalse(mutex("r2").tryRLock(), "the fresh mark holds new readers back");
    long start = System.nanoTime();
    assertTrue(mutex("r2").tryRLock(Duration.ofSeconds(10)));
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(waitedMs < 5000, "the mark lapsed after its 500 ms ttl, waited " + waitedMs);
  }

  @Test
  void aWriterIsNotStarvedByContinuousOverlappingReaders() throws Exception {
    int readers = 3;
    long holdMs = 150;
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch started = new CountDownLatch(readers);
    List<CompletableFuture<Void>> stream = new ArrayList<>();
    for (int i = 0; i < readers; i++) {
      RWMutex reader = mutex("reader-" + i);
      int offset = i;
      stream.add(
          onThread(
              "reader-" + i,
              () -> {
                sleep(offset * holdMs / readers);
                started.countDown();
                while (!stop.get()) {
                  if (reader.tryRLock(Duration.ofMillis(50))) {
                    sleep(holdMs);
                    reader.rUnlock();
                  }
                }
              }));
    }
    started.await();
    sleep(holdMs);
    long start = System.nanoTime();
    boolean acquired = mutex("writer").tryLock(Duration.ofSeconds(10));
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    stop.set(true);
    System.out.printf(
        "[mongo-lock] writer waited %d ms behind readers holding %d ms each%n", waitedMs, holdMs);
    assertTrue(acquired, "writer starved for 10 s");
    assertTrue(waitedMs < 3000, "writer waited " + waitedMs + " ms, readers hold " + holdMs);
    mutex("writer").unlock();
    stream.forEach(LockTestSupport::await);
  }

  // ------------------------------------------------------------------ lost replies

  @Test
  void aLockWhoseReplyWasLostIsSentAgainAndHeldOnce() {
    LockTestSupport.LosingReplies losing = new LockTestSupport.LosingReplies(locks);
    RWMutex a = new RWMutex(losing.collection, LOCK, "a", fast());
    losing.loseNextReplies(1);
    a.lock();
    assertEquals(1, losing.lost.get());
    assertEquals("a", stored(locks, LOCK).get("writer"));
    losing.loseNextReplies(1);
    a.unlock(); // the delete was applied, its reply lost: not "not held"
    assertEquals(2, losing.lost.get());
    assertNull(stored(locks, LOCK));
  }

  @Test
  void aReadLockWhoseRepliesWereLostLeavesTheDocumentCorrect() {
    LockTestSupport.LosingReplies losing = new LockTestSupport.LosingReplies(locks);
    mutex("other").rLock();
    RWMutex a = new RWMutex(losing.collection, LOCK, "a", fast());
    losing.loseNextReplies(1);
    a.rLock();
    assertEquals(List.of("other", "a"), stored(locks, LOCK).get("readers"), "added once");
    losing.loseNextReplies(2);
    a.rUnlock();
    assertEquals(List.of("other"), stored(locks, LOCK).get("readers"));
  }

  @Test
  void anAcquireThatKeepsLosingRepliesFailsAndReleasesWhatItMayHaveTaken() {
    LockTestSupport.LosingReplies losing = new LockTestSupport.LosingReplies(locks);
    RWMutex a = new RWMutex(losing.collection, LOCK, "a", fast());
    losing.loseNextReplies(3);
    LockAcquisitionException e = assertThrows(LockAcquisitionException.class, a::lock);
    assertTrue(e.getMessage().startsWith("error acquiring lock lock_1: "), e.getMessage());
    assertTrue(e.getCause() instanceof com.mongodb.MongoSocketReadException);
    assertNull(stored(locks, LOCK), "no holder leaked");
    assertFalse(a.isWriteLockedByCurrentThread());
  }

  @Test
  void aDowngradeThatKeepsLosingRepliesLeavesTheWriterItsLease() {
    LockTestSupport.LosingReplies losing = new LockTestSupport.LosingReplies(locks);
    RWMutex a = new RWMutex(losing.collection, LOCK, "a", fast());
    a.lock();
    losing.loseNextReplies(3); // every send of the downgrade's read acquire is applied, unanswered
    assertThrows(LockAcquisitionException.class, a::rLock);
    assertTrue(a.isWriteLockedByCurrentThread(), "the write hold is untouched");
    Document doc = LockTestSupport.storedRaw(locks, LOCK);
    assertEquals("a", doc.get("writer"));
    assertEquals(List.of(), doc.get("readers"), "the undo took back the read hold");
    assertEquals(
        List.of(new Document("c", "a").append("s", a.leaseKeeper().sessionID)),
        doc.get("holders"),
        "the writer keeps its lease entry, so it still expires if its process dies");
    // and the later release still matches and cleans up
    a.unlock();
    assertNull(stored(locks, LOCK));
  }

  // ------------------------------------------------------------------ bookkeeping

  @Test
  void localBookkeepingIsDroppedWhenLocksAreReleased() {
    int before = LockRuntime.shared().registeredSites();
    for (int i = 0; i < 50; i++) {
      RWMutex m = new RWMutex(locks, "order-" + i, "a", fast());
      m.lock();
      m.rLock();
      m.unlock();
      m.rUnlock();
    }
    assertEquals(before, LockRuntime.shared().registeredSites());
  }
}
