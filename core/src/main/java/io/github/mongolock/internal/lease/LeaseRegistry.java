package io.github.mongolock.internal.lease;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

  /**
   * Told the outcome of each renewal a keeper sends, once per renewal (one command for all the
   * leases of a keeper); called on a heartbeat thread, so it must be short and must not throw.
   */
  public interface RenewalListener {
    /** Nothing is told: for runtimes that no one listens to. */
    RenewalListener NONE = new RenewalListener() {};

    /**
     * Every lease the renewal was sent for was renewed.
     *
     * @param namespace the lock collection, {@code database.collection}
     * @param leases how many lock documents' leases were renewed
     */
    default void renewed(String namespace, int leases) {}

    /**
     * The renewal failed (MongoDB unreachable or timed out), or found some of its leases gone.
     *
     * @param namespace the lock collection, {@code database.collection}
     * @param leases how many lock documents' leases the renewal was sent for
     * @param cause what failed
     */
    default void renewalFailed(String namespace, int leases, Throwable cause) {}
  }

  final ScheduledExecutorService heartbeat;
  final ScheduledExecutorService watch;
  final LossListener lossListener;
  final RenewalListener renewalListener;
  private final ConcurrentHashMap<Key, LeaseKeeper> keepers = new ConcurrentHashMap<>();

  public LeaseRegistry(String name, LossListener lossListener, RenewalListener renewalListener) {
    this.lossListener = lossListener;
    this.renewalListener = renewalListener;
    // a few threads, so that one keeper's renewal waiting for its timeout (a lock collection on an
    // unreachable server) does not hold back the renewals of the others
    this.heartbeat = daemonPool("mongo-lock-heartbeat" + name, HEARTBEAT_THREADS);
    this.watch = daemon("mongo-lock-lease-watch" + name);
  }

  /**
   * The keeper of {@code collection} (with these concerns and the primary, which the renewals use)
   * for these lease settings.
   */
  public LeaseKeeper keeper(
      MongoCollection<Document> collection,
      Duration leaseTime,
      Duration renewInterval,
      WriteConcern writeConcern,
      ReadConcern readConcern) {
    Key key =
        new Key(
            collection.getNamespace().getFullName(),
            leaseTime,
            renewInterval,
            writeConcern,
            readConcern);
    return keepers.computeIfAbsent(
        key, k -> new LeaseKeeper(this, collection, leaseTime, renewInterval));
  }

  private record Key(
      String namespace,
      Duration leaseTime,
      Duration renewInterval,
      WriteConcern writeConcern,
      ReadConcern readConcern) {}

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

  private static final int HEARTBEAT_THREADS = 4;

  private static ScheduledExecutorService daemonPool(String name, int threads) {
    AtomicInteger count = new AtomicInteger();
    return Executors.newScheduledThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, name + "-" + count.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
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
