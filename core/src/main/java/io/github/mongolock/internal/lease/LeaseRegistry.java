package io.github.mongolock.internal.lease;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

/**
 * The lease keepers of one runtime (one per lock collection, lease settings and concerns) and the
 * two daemon threads that run them: the heartbeat, which renews, and the watch, which declares
 * leases lost that could not be renewed in time. {@link #close()} stops both threads.
 */
public final class LeaseRegistry implements AutoCloseable {

  /** Told when a keeper gives up its lease on a lock document. */
  @FunctionalInterface
  public interface LossListener {
    void leaseLost(LeaseKeeper keeper, String lockID, String reason);
  }

  final ScheduledExecutorService heartbeat;
  final ScheduledExecutorService watch;
  final LossListener lossListener;
  private final ConcurrentHashMap<String, LeaseKeeper> keepers = new ConcurrentHashMap<>();

  public LeaseRegistry(String name, LossListener lossListener) {
    this.lossListener = lossListener;
    this.heartbeat = daemon("mongo-lock-heartbeat" + name);
    this.watch = daemon("mongo-lock-lease-watch" + name);
  }

  /**
   * The keeper of {@code collection} (whose concerns and read preference the renewals use) for
   * these lease settings.
   */
  public LeaseKeeper keeper(
      MongoCollection<Document> collection, Duration leaseTime, Duration renewInterval) {
    WriteConcern w = collection.getWriteConcern();
    ReadConcern r = collection.getReadConcern();
    String key =
        collection.getNamespace().getFullName()
            + '\u0000'
            + leaseTime.toNanos()
            + '\u0000'
            + renewInterval.toNanos()
            + '\u0000'
            + w
            + '\u0000'
            + r;
    return keepers.computeIfAbsent(
        key, k -> new LeaseKeeper(this, collection, leaseTime, renewInterval));
  }

  /** Stops renewing: the leases of whatever is still held run out on their own. */
  @Override
  public void close() {
    heartbeat.shutdownNow();
    watch.shutdownNow();
    try {
      heartbeat.awaitTermination(5, TimeUnit.SECONDS);
      watch.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** True once both threads have stopped (for tests). */
  public boolean isTerminated() {
    return heartbeat.isTerminated() && watch.isTerminated();
  }

  private static ScheduledExecutorService daemon(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }
}
