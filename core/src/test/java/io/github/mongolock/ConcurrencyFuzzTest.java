package io.github.mongolock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Several MongoClients (simulated nodes), several threads each, mixed readers and writers on one
 * lock, each critical section checked by a counter that detects overlap. Some nodes give all their
 * threads one client ID (as the aspect does by default), others one client ID per thread. Sections
 * randomly re-enter and downgrade.
 */
@ExtendWith(MongoExtension.class)
class ConcurrencyFuzzTest {

  private static final int NODES = 4;
  private static final int THREADS_PER_NODE = 4;
  private static final int SECTIONS_PER_THREAD = 120;

  /** Counts holders inside the critical section; any writer beside anyone is an overlap. */
  static final class ExclusionChecker {
    private final AtomicInteger writers = new AtomicInteger();
    private final AtomicInteger readers = new AtomicInteger();
    final AtomicLong overlaps = new AtomicLong();
    final AtomicLong writeSections = new AtomicLong();
    final AtomicLong readSections = new AtomicLong();
    final AtomicLong sharedReads = new AtomicLong();

    void section(LockMode mode, long holdNanos) {
      if (mode == LockMode.WRITE) {
        writeSections.incrementAndGet();
        if (writers.incrementAndGet() != 1 | readers.get() != 0) {
          overlaps.incrementAndGet();
        }
        LockSupport.parkNanos(holdNanos);
        if (readers.get() != 0) {
          overlaps.incrementAndGet();
        }
        writers.decrementAndGet();
      } else {
        readSections.incrementAndGet();
        if (readers.incrementAndGet() > 1) {
          sharedReads.incrementAndGet();
        }
        if (writers.get() != 0) {
          overlaps.incrementAndGet();
        }
        LockSupport.parkNanos(holdNanos);
        if (writers.get() != 0) {
          overlaps.incrementAndGet();
        }
        readers.decrementAndGet();
      }
    }
  }

  /** How a section takes the lock: the real way, or deliberately broken. */
  interface Locking {
    void acquire(RWMutex mutex, LockMode mode);

    void release(RWMutex mutex, LockMode mode);
  }

  static final Locking REAL =
      new Locking() {
        @Override
        public void acquire(RWMutex mutex, LockMode mode) {
          if (mode == LockMode.WRITE) {
            mutex.lock(Duration.ofSeconds(60));
          } else {
            mutex.rLock(Duration.ofSeconds(60));
          }
        }

        @Override
        public void release(RWMutex mutex, LockMode mode) {
          if (mode == LockMode.WRITE) {
            mutex.unlock();
          } else {
            mutex.rUnlock();
          }
        }
      };

  /** Broken on purpose: writers take the read lock, so they share with everyone. */
  static final Locking WRITERS_TAKE_READ_LOCK =
      new Locking() {
        @Override
        public void acquire(RWMutex mutex, LockMode mode) {
          mutex.rLock(Duration.ofSeconds(60));
        }

        @Override
        public void release(RWMutex mutex, LockMode mode) {
          mutex.rUnlock();
        }
      };

  record Outcome(ExclusionChecker checker, long millis, int clients) {}

  private Outcome run(MongoDatabase db, Locking locking, int sectionsPerThread) {
    String collectionName = "fuzz" + System.nanoTime();
    ExclusionChecker checker = new ExclusionChecker();
    List<MongoClient> clients = new ArrayList<>();
    List<CompletableFuture<Void>> threads = new ArrayList<>();
    java.util.Set<String> clientIds = new java.util.HashSet<>();
    RWMutexOptions options = LockTestSupport.fast();
    long start = System.nanoTime();
    try {
      for (int node = 0; node < NODES; node++) {
        MongoClient client = TestMongo.get().newClient();
        clients.add(client);
        MongoCollection<Document> locks =
            client.getDatabase(db.getName()).getCollection(collectionName);
        boolean sharedClientId = node % 2 == 0;
        for (int t = 0; t < THREADS_PER_NODE; t++) {
          String clientId = sharedClientId ? "node-" + node : "node-" + node + "-thread-" + t;
          clientIds.add(clientId);
          RWMutex mutex = new RWMutex(locks, "fuzz-lock", clientId, options);
          long seed = node * 100L + t;
          threads.add(
              LockTestSupport.onThread(
                  clientId + "/" + t,
                  () ->
                      sections(
                          mutex, locking, checker, new SplittableRandom(seed), sectionsPerThread)));
        }
      }
      threads.forEach(f -> f.orTimeout(120, java.util.concurrent.TimeUnit.SECONDS).join());
    } finally {
      clients.forEach(MongoClient::close);
    }
    return new Outcome(checker, (System.nanoTime() - start) / 1_000_000, clientIds.size());
  }

  private static void sections(
      RWMutex mutex,
      Locking locking,
      ExclusionChecker checker,
      SplittableRandom random,
      int count) {
    for (int i = 0; i < count; i++) {
      LockMode mode = random.nextInt(10) < 3 ? LockMode.WRITE : LockMode.READ;
      long hold = 200_000 + random.nextLong(800_000);
      locking.acquire(mutex, mode);
      boolean held = true;
      try {
        checker.section(mode, hold);
        int extra = random.nextInt(10);
        if (locking == REAL && extra == 0) {
          // re-enter in the same mode
          locking.acquire(mutex, mode);
          checker.section(mode, hold);
          locking.release(mutex, mode);
        } else if (locking == REAL && extra == 1 && mode == LockMode.WRITE) {
          // downgrade: read while writing, then keep reading after the write hold is released
          mutex.rLock();
          locking.release(mutex, LockMode.WRITE);
          held = false;
          checker.section(LockMode.READ, hold);
          mutex.rUnlock();
        }
      } finally {
        if (held) {
          locking.release(mutex, mode);
        }
      }
    }
  }

  @Test
  void noOverlapsUnderMixedContention(MongoDatabase db) {
    Outcome outcome = run(db, REAL, SECTIONS_PER_THREAD);
    ExclusionChecker c = outcome.checker();
    System.out.printf(
        "[mongo-lock] fuzz: %d MongoClients x %d threads, %d client IDs, %d write + %d read"
            + " sections (%d shared reads) in %d ms, overlaps: %d%n",
        NODES,
        THREADS_PER_NODE,
        outcome.clients(),
        c.writeSections.get(),
        c.readSections.get(),
        c.sharedReads.get(),
        outcome.millis(),
        c.overlaps.get());
    assertEquals(0, c.overlaps.get(), "overlapping critical sections");
    assertTrue(c.writeSections.get() >= NODES * THREADS_PER_NODE * SECTIONS_PER_THREAD / 5);
    assertTrue(c.sharedReads.get() > 0, "readers must actually share");
  }

  @Test
  void theCheckerCatchesABrokenLock(MongoDatabase db) {
    Outcome outcome = run(db, WRITERS_TAKE_READ_LOCK, 20);
    System.out.printf(
        "[mongo-lock] fuzz with writers taking the read lock: %d sections, overlaps: %d%n",
        outcome.checker().writeSections.get() + outcome.checker().readSections.get(),
        outcome.checker().overlaps.get());
    assertTrue(outcome.checker().overlaps.get() > 0, "the checker missed a broken lock");
  }
}
