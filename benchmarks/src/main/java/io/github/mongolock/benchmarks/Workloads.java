package io.github.mongolock.benchmarks;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.addToSet;
import static com.mongodb.client.model.Updates.combine;
import static com.mongodb.client.model.Updates.set;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.UpdateOptions;
import io.github.mongolock.LockRuntime;
import io.github.mongolock.RWMutex;
import io.github.mongolock.RWMutexOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.mongo.MongoLockProvider;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.conversions.Bson;

/** The lock+unlock cycles that are measured, and the loop that measures them. */
final class Workloads {

  /** One lock+unlock. Each thread gets its own instance. */
  @FunctionalInterface
  interface Cycle {
    void run();
  }

  /** Throughput of one measurement window. */
  record Throughput(long totalOps, double seconds, long minThreadOps) {
    double opsPerSecond() {
      return totalOps / seconds;
    }
  }

  private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);

  private final MongoDatabase database;
  private final MongoCollection<Document> locks;
  private final MongoCollection<Document> raw;
  private final LockProvider shedLock;

  Workloads(MongoDatabase database) {
    this.database = database;
    this.locks = database.getCollection("locks");
    this.raw = database.getCollection("raw");
    raw.createIndex(Indexes.ascending("lockID"), new IndexOptions().unique(true));
    this.shedLock = new MongoLockProvider(database.getCollection("shedLock"));
  }

  MongoCollection<Document> locks() {
    return locks;
  }

  IntFunction<Cycle> oursWrite(String lockPrefix) {
    return oursWrite(lockPrefix, LockRuntime.shared(), RWMutexOptions.defaults());
  }

  /** Write lock+unlock by mutexes of {@code runtime} (and so told to its listeners). */
  IntFunction<Cycle> oursWrite(String lockPrefix, LockRuntime runtime, RWMutexOptions options) {
    return i -> {
      RWMutex mutex = new RWMutex(runtime, locks, lockPrefix + "-" + i, "java-" + i, options);
      return () -> {
        mutex.lock();
        mutex.unlock();
      };
    };
  }

  IntFunction<Cycle> oursRead(String lockPrefix) {
    return oursRead(lockPrefix, LockRuntime.shared(), RWMutexOptions.defaults());
  }

  /** Read lock+unlock by mutexes of {@code runtime} (and so told to its listeners). */
  IntFunction<Cycle> oursRead(String lockPrefix, LockRuntime runtime, RWMutexOptions options) {
    return i -> {
      RWMutex mutex = new RWMutex(runtime, locks, lockPrefix + "-" + i, "java-" + i, options);
      return () -> {
        mutex.rLock();
        mutex.rUnlock();
      };
    };
  }

  /** The raw driver's equivalent of a write cycle: an upsert and a delete of one document. */
  IntFunction<Cycle> rawWrite(String lockPrefix) {
    return i -> {
      Bson id = eq("lockID", lockPrefix + "-" + i);
      Bson update = combine(set("writer", "java-" + i), set("readers", List.of()));
      return () -> {
        raw.updateOne(id, update, UPSERT);
        raw.deleteOne(id);
      };
    };
  }

  /**
   * The raw driver's equivalent of a read cycle: an upsert adding a reader and a delete of one
   * document.
   */
  IntFunction<Cycle> rawRead(String lockPrefix) {
    return i -> {
      String client = "java-" + i;
      Bson id = eq("lockID", lockPrefix + "-" + i);
      Bson update = combine(set("writer", ""), addToSet("readers", client));
      Bson onlyReader = and(id, eq("readers", List.of(client)));
      return () -> {
        raw.updateOne(id, update, UPSERT);
        raw.deleteOne(onlyReader);
      };
    };
  }

  /**
   * The raw driver sending the very commands one uncontended cycle of ours sent (recorded by a
   * command listener, with the lock ID replaced): the cost of the lock's filters on the server
   * without any of the library's client-side work.
   */
  IntFunction<Cycle> replay(List<BsonDocument> recorded, String recordedLockID, String lockPrefix) {
    return i -> {
      String lockID = lockPrefix + "-" + i;
      List<Document> commands = new ArrayList<>();
      for (BsonDocument command : recorded) {
        Document copy =
            Document.parse(
                command.toJson().replace('"' + recordedLockID + '"', '"' + lockID + '"'));
        for (String sessionOrRouting :
            List.of("$db", "lsid", "$clusterTime", "txnNumber", "$readPreference")) {
          copy.remove(sessionOrRouting);
        }
        commands.add(copy);
      }
      return () -> {
        for (Document command : commands) {
          Document reply = database.runCommand(command);
          if (reply.getInteger("n", 0) < 1 || reply.containsKey("writeErrors")) {
            throw new IllegalStateException(
                "replayed command did not apply: " + command.toJson() + " -> " + reply.toJson());
          }
        }
      };
    };
  }

  /** ShedLock's Mongo provider: lock (exclusive, with a lease it must have) and unlock. */
  IntFunction<Cycle> shedLock(String lockPrefix) {
    return i -> {
      String name = lockPrefix + "-" + i;
      return () -> {
        SimpleLock lock =
            shedLock
                .lock(
                    new LockConfiguration(
                        Instant.now(), name, Duration.ofMinutes(5), Duration.ZERO))
                .orElseThrow(
                    () -> new IllegalStateException("ShedLock refused uncontended " + name));
        lock.unlock();
      };
    };
  }

  /**
   * Every thread on the same lock, each its own client; a read with probability readPercent/100.
   */
  IntFunction<Cycle> oursContended(String lockID, int readPercent) {
    return contended(locks, lockID, "java-w", readPercent);
  }

  static IntFunction<Cycle> contended(
      MongoCollection<Document> locks, String lockID, String clientPrefix, int readPercent) {
    return i -> {
      RWMutex mutex = new RWMutex(locks, lockID, clientPrefix + i);
      return () -> {
        if (ThreadLocalRandom.current().nextInt(100) < readPercent) {
          mutex.rLock();
          mutex.rUnlock();
        } else {
          mutex.lock();
          mutex.unlock();
        }
      };
    };
  }

  /** Runs {@code threads} threads, each repeating its own cycle, for {@code windowMs}. */
  static Throughput measure(int threads, IntFunction<Cycle> cycles, int windowMs) {
    List<Cycle> perThread = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      perThread.add(cycles.apply(i));
    }
    long[] counts = new long[threads];
    long[] window = new long[2];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CyclicBarrier start =
        new CyclicBarrier(threads, () -> window[0] = System.nanoTime() + windowMs * 1_000_000L);
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int index = t;
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                  long deadline = window[0];
                  Cycle cycle = perThread.get(index);
                  long n = 0;
                  while (System.nanoTime() < deadline) {
                    cycle.run();
                    n++;
                  }
                  counts[index] = n;
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "bench-" + t);
      running.add(thread);
      thread.start();
    }
    for (Thread thread : running) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    // The window ends when the last thread finishes its last cycle.
    long elapsed = System.nanoTime() - (window[0] - windowMs * 1_000_000L);
    if (failure.get() != null) {
      throw new IllegalStateException("benchmark thread failed", failure.get());
    }
    long total = 0;
    long min = Long.MAX_VALUE;
    for (long c : counts) {
      total += c;
      min = Math.min(min, c);
    }
    return new Throughput(total, elapsed / 1e9, min);
  }
}
