package io.github.mongolock.benchmarks;

import com.mongodb.client.MongoCollection;
import io.github.mongolock.RWMutex;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

/**
 * Hand-off latency: from the moment the holder's release returns to the moment the waiter's acquire
 * returns, the waiter having been blocked for a random hold time (so that every phase of its
 * polling is sampled). Across processes both ends read CLOCK_MONOTONIC ({@link
 * Agent#checkSharedClock()}).
 */
final class Handoff {

  /** One way of placing holder and waiter. */
  interface Variant {
    String name();

    /** Inclusive bounds of the random hold time, in ms. */
    int minHoldMs();

    int maxHoldMs();

    /** One hand-off on a fresh lock; returns the latency in ms. */
    double sampleMs(String lockID, long holdMs) throws Exception;
  }

  private Handoff() {}

  /** Holder and waiter are threads of this JVM, each with its own client ID. */
  static Variant oursSameJvm(MongoCollection<Document> locks) {
    return new Fixed("mongo-lock-java, waiter in same JVM", 50, 250) {
      @Override
      public double sampleMs(String lockID, long holdMs) throws Exception {
        RWMutex holder = new RWMutex(locks, lockID, "java-holder");
        RWMutex waiter = new RWMutex(locks, lockID, "java-waiter");
        holder.lock();
        CompletableFuture<Long> acquiredAt = new CompletableFuture<>();
        Thread thread =
            new Thread(
                () -> {
                  try {
                    waiter.lock();
                    acquiredAt.complete(System.nanoTime());
                    waiter.unlock();
                  } catch (Throwable e) {
                    acquiredAt.completeExceptionally(e);
                  }
                },
                "handoff-waiter");
        thread.start();
        Thread.sleep(holdMs);
        long releaseStart = System.nanoTime();
        holder.unlock();
        long releasedAt = System.nanoTime();
        long acquired = acquiredAt.get(60, TimeUnit.SECONDS);
        thread.join();
        return latency(releaseStart, releasedAt, acquired);
      }
    };
  }

  /** Holder in this JVM, waiter in a second JVM ({@link JavaAgentMain}). */
  static Variant oursOtherJvm(MongoCollection<Document> locks, Agent java) {
    return new Fixed("mongo-lock-java, waiter in another JVM", 50, 250) {
      @Override
      public double sampleMs(String lockID, long holdMs) throws Exception {
        RWMutex holder = new RWMutex(locks, lockID, "java-holder");
        holder.lock();
        java.call(
            new Document("op", "wait").append("lock", lockID).append("client", "java-waiter"));
        Thread.sleep(holdMs);
        long releaseStart = System.nanoTime();
        holder.unlock();
        long releasedAt = System.nanoTime();
        long acquired = Agent.longOf(java.next(60_000), "acquired");
        java.call(new Document("op", "unlockWaiter").append("lock", lockID));
        return latency(releaseStart, releasedAt, acquired);
      }
    };
  }

  /** The seed: holder and waiter are two clients in one Node process. */
  static Variant seedSameProcess(Agent node, int sleepTimeMs) {
    int maxHold = 50 + Math.max(200, sleepTimeMs);
    return new Fixed(
        "mongo-lock-node, sleepTime " + sleepTimeMs + " ms, same process", 50, maxHold) {
      @Override
      public double sampleMs(String lockID, long holdMs) {
        Document reply =
            node.call(
                new Document("op", "handoffLocal")
                    .append("lock", lockID)
                    .append("holdMs", holdMs)
                    .append("sleepTime", sleepTimeMs));
        return Agent.longOf(reply, "ns") / 1e6;
      }
    };
  }

  /** The seed: holder in one Node process, waiter in another. */
  static Variant seedOtherProcess(Agent holderNode, Agent waiterNode, int sleepTimeMs) {
    int maxHold = 50 + Math.max(200, sleepTimeMs);
    return new Fixed(
        "mongo-lock-node, sleepTime " + sleepTimeMs + " ms, other process", 50, maxHold) {
      @Override
      public double sampleMs(String lockID, long holdMs) throws Exception {
        holderNode.call(
            new Document("op", "hold")
                .append("lock", lockID)
                .append("client", "seed-holder")
                .append("sleepTime", sleepTimeMs));
        waiterNode.call(
            new Document("op", "wait")
                .append("lock", lockID)
                .append("client", "seed-waiter")
                .append("sleepTime", sleepTimeMs));
        Thread.sleep(holdMs);
        Document released = holderNode.call(new Document("op", "release").append("lock", lockID));
        long acquired = Agent.longOf(waiterNode.next(60_000), "acquired");
        waiterNode.call(new Document("op", "unlockWaiter").append("lock", lockID));
        return latency(Agent.longOf(released, "t0"), Agent.longOf(released, "t"), acquired);
      }
    };
  }

  /**
   * The waiter may see the lock free while the holder's release reply is still in flight, so a
   * slightly negative latency is real; acquiring before the release even started is a broken lock.
   */
  private static double latency(long releaseStart, long releasedAt, long acquiredAt) {
    if (acquiredAt < releaseStart) {
      throw new IllegalStateException(
          "waiter acquired "
              + (releaseStart - acquiredAt) / 1e6
              + " ms before the holder released");
    }
    return (acquiredAt - releasedAt) / 1e6;
  }

  private abstract static class Fixed implements Variant {
    private final String name;
    private final int minHoldMs;
    private final int maxHoldMs;

    Fixed(String name, int minHoldMs, int maxHoldMs) {
      this.name = name;
      this.minHoldMs = minHoldMs;
      this.maxHoldMs = maxHoldMs;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public int minHoldMs() {
      return minHoldMs;
    }

    @Override
    public int maxHoldMs() {
      return maxHoldMs;
    }
  }
}
