package io.github.mongolock.examples;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import io.github.mongolock.LockHandle;
import io.github.mongolock.RWMutex;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;

/**
 * The seed's usage in Java, with three clients that each have their own MongoClient, as three
 * services would: a write lock keeps the others out, readers share, a waiting writer gets in. Runs
 * on an embedded MongoDB unless MONGODB_URI is set.
 */
public final class BasicExample {

  private static final long START = System.nanoTime();

  public static void main(String[] args) throws Exception {
    try {
      run();
    } finally {
      TestMongo.shutdown();
    }
  }

  static void run() throws Exception {
    TestMongo mongo = TestMongo.get();
    try (MongoClient aliceClient = mongo.newClient();
        MongoClient bobClient = mongo.newClient();
        MongoClient carolClient = mongo.newClient()) {
      String db = "mongo_lock_example";
      aliceClient.getDatabase(db).drop();
      RWMutex alice = new RWMutex(locks(aliceClient, db), "lock_1", "alice");
      RWMutex bob = new RWMutex(locks(bobClient, db), "lock_1", "bob");
      RWMutex carol = new RWMutex(locks(carolClient, db), "lock_1", "carol");
      MongoCollection<Document> view = locks(aliceClient, db);

      say("1. A write lock keeps every other client out");
      alice.lock();
      say("alice holds the write lock          stored: %s", stored(view));
      say("bob tries the write lock            granted: %s", bob.tryLock());
      say("bob tries the read lock for 300 ms  granted: %s", bob.tryRLock(Duration.ofMillis(300)));
      alice.unlock();
      say("alice released it                   stored: %s", stored(view));

      say("2. Readers share, a writer waits for all of them");
      alice.rLock();
      bob.rLock();
      say("alice and bob read together         stored: %s", stored(view));
      Thread writer =
          new Thread(
              () -> {
                say("carol asks for the write lock and waits...");
                try (LockHandle held = carol.acquireWrite(Duration.ofSeconds(30))) {
                  say("carol writes now                    stored: %s", stored(view));
                }
              });
      writer.start();
      Thread.sleep(300);
      say("while carol waits, new readers wait too (writer preference)");
      RWMutex dave = new RWMutex(view, "lock_1", "dave");
      say("dave tries the read lock for 200 ms granted: %s", dave.tryRLock(Duration.ofMillis(200)));
      alice.rUnlock();
      say("alice stopped reading               stored: %s", stored(view));
      bob.rUnlock();
      say("bob stopped reading");
      writer.join();
      say("carol released it                   stored: %s", stored(view));

      say("3. Exclusion under load: 3 clients x 4 threads, 200 critical sections");
      int overlaps = hammer(List.of(alice, bob, carol), 4, 200 / 12 + 1);
      say("overlapping critical sections: %d", overlaps);
      if (overlaps != 0) {
        throw new IllegalStateException("the lock let two holders in at once");
      }
      say("done on %s", mongo.description());
    }
  }

  private static MongoCollection<Document> locks(MongoClient client, String db) {
    return client.getDatabase(db).getCollection("locks");
  }

  private static String stored(MongoCollection<Document> locks) {
    Document doc = locks.find().projection(new Document("_id", 0)).first();
    return doc == null ? "(no document)" : doc.toJson();
  }

  /** Threads of every client take the lock in turn; a counter sees any writer beside anyone. */
  private static int hammer(List<RWMutex> clients, int threadsEach, int sectionsEach)
      throws InterruptedException {
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger writes = new AtomicInteger();
    AtomicInteger reads = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(clients.size() * threadsEach);
    List<Thread> threads = new ArrayList<>();
    for (RWMutex client : clients) {
      for (int t = 0; t < threadsEach; t++) {
        int seed = t;
        Thread thread =
            new Thread(
                () -> {
                  try {
                    for (int i = 0; i < sectionsEach; i++) {
                      boolean write = (i + seed) % 3 == 0;
                      if (write) {
                        client.lock();
                        if (inside.getAndAdd(1000) != 0) {
                          overlaps.incrementAndGet();
                        }
                        writes.incrementAndGet();
                        sleepQuietly(1);
                        inside.addAndGet(-1000);
                        client.unlock();
                      } else {
                        client.rLock();
                        if (inside.incrementAndGet() >= 1000) {
                          overlaps.incrementAndGet();
                        }
                        reads.incrementAndGet();
                        sleepQuietly(1);
                        inside.decrementAndGet();
                        client.rUnlock();
                      }
                    }
                  } finally {
                    done.countDown();
                  }
                });
        threads.add(thread);
        thread.start();
      }
    }
    done.await();
    say("write sections: %d, read sections: %d", writes.get(), reads.get());
    return overlaps.get();
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void say(String format, Object... args) {
    long ms = (System.nanoTime() - START) / 1_000_000;
    System.out.printf("[%5d ms] %s%n", ms, String.format(format, args));
  }
}
