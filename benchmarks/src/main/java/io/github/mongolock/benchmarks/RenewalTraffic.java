package io.github.mongolock.benchmarks;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import io.github.mongolock.RWMutex;
import io.github.mongolock.RWMutexOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;

/**
 * 5. Renewal traffic: the commands this process sends per renewal interval while it holds 10,000
 * write locks and does nothing else, with a short lease so that a few intervals pass quickly.
 */
final class RenewalTraffic extends Part {

  private static final int THREADS = 4;

  RenewalTraffic(Run run) {
    super(run);
  }

  /** Commands to the benchmark database while {@code counting}, and how long updates took. */
  private static final class Traffic implements CommandListener {
    volatile boolean counting;
    final Map<String, Integer> byName = Collections.synchronizedMap(new TreeMap<>());
    final List<Double> updateMillis = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void commandStarted(CommandStartedEvent event) {
      if (counting && DATABASE.equals(event.getDatabaseName())) {
        byName.merge(event.getCommandName(), 1, Integer::sum);
      }
    }

    @Override
    public void commandSucceeded(CommandSucceededEvent event) {
      if (counting && DATABASE.equals(event.getDatabaseName())) {
        if (event.getCommandName().equals("update")) {
          updateMillis.add(event.getElapsedTime(TimeUnit.MICROSECONDS) / 1000.0);
        }
      }
    }

    int total() {
      synchronized (byName) {
        return byName.values().stream().mapToInt(Integer::intValue).sum();
      }
    }
  }

  @Override
  void measure() throws Exception {
    progress("5. renewal traffic");
    int locks = settings.renewalLocks();
    Duration renewEvery = Duration.ofMillis(settings.renewIntervalMs());
    Duration leaseTime = renewEvery.multipliedBy(3);
    int intervals = settings.renewalIntervals();
    RWMutexOptions options =
        RWMutexOptions.builder().leaseTime(leaseTime).renewInterval(renewEvery).build();
    Traffic traffic = new Traffic();
    AtomicInteger lost = new AtomicInteger();
    AtomicInteger stillHeld = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch acquired = new CountDownLatch(THREADS);
    CountDownLatch release = new CountDownLatch(1);
    long observedNanos;
    long acquireNanos;
    long documents;
    try (MongoClient counted = run.newWatchedClient(traffic)) {
      MongoCollection<Document> collection = counted.getDatabase(DATABASE).getCollection("leases");
      String prefix = nextLock("lease");
      List<Thread> holders = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < THREADS; t++) {
        int first = t * locks / THREADS;
        int end = (t + 1) * locks / THREADS;
        Thread holder =
            new Thread(
                () -> {
                  List<RWMutex> mine = new ArrayList<>();
                  try {
                    for (int i = first; i < end; i++) {
                      RWMutex mutex =
                          new RWMutex(collection, prefix + "-" + i, "java-renewal", options);
                      mutex.addLockLostListener((lockID, client, mode) -> lost.incrementAndGet());
                      mutex.lock();
                      mine.add(mutex);
                    }
                  } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                  } finally {
                    acquired.countDown();
                  }
                  try {
                    release.await();
                    for (RWMutex mutex : mine) {
                      if (mutex.isWriteLockedByCurrentThread()) {
                        stillHeld.incrementAndGet();
                        mutex.unlock();
                      }
                    }
                  } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                  }
                },
                "lease-holder-" + t);
        holders.add(holder);
        holder.start();
      }
      acquired.await();
      acquireNanos = System.nanoTime() - start;
      traffic.counting = true;
      long observing = System.nanoTime();
      Thread.sleep(renewEvery.toMillis() * intervals);
      traffic.counting = false;
      observedNanos = System.nanoTime() - observing;
      documents = collection.countDocuments();
      release.countDown();
      for (Thread holder : holders) {
        holder.join();
      }
    }
    if (failure.get() != null) {
      throw new IllegalStateException("holding " + locks + " locks failed", failure.get());
    }
    double perInterval = traffic.total() / (observedNanos / (double) renewEvery.toNanos());
    List<Double> updates = traffic.updateMillis;
    report.heading(3, "5. Renewal traffic while holding " + String.format("%,d", locks) + " locks");
    report.paragraph(
        "One client holds "
            + String.format("%,d", locks)
            + " write locks (acquired by "
            + THREADS
            + " threads in "
            + fmt(acquireNanos / 1e9, 1)
            + " s) with leaseTime "
            + leaseTime.toMillis()
            + " ms and renewInterval "
            + renewEvery.toMillis()
            + " ms (shortened from the default 30 s / 10 s so that "
            + intervals
            + " intervals pass quickly; the traffic per interval does not depend on the interval),"
            + " then does nothing while a command listener counts what it sends for "
            + fmt(observedNanos / 1e9, 1)
            + " s. The seed has no heartbeat and sends nothing here; a lock whose holder dies"
            + " stays held (until its absolute `expiresAt`, if one was set).");
    report.table(
        List.of("measure", "figure"),
        List.of(
            List.of("commands per renewal interval", fmt(perInterval, 2)),
            List.of("commands seen", traffic.byName + " in " + fmt(observedNanos / 1e9, 1) + " s"),
            List.of(
                "server time of one renewal `update`, median (min–max)",
                updates.isEmpty() ? "n/a" : Stats.Spread.of(updates).format(1) + " ms"),
            List.of(
                "locks still held at the end (lock documents / holds the threads still had)",
                documents + " / " + stillHeld.get() + " of " + locks),
            List.of("lock-lost notices", String.valueOf(lost.get()))));
    summary.add(
        List.of(
            "Renewal traffic holding " + String.format("%,d", locks) + " locks",
            fmt(perInterval, 2) + " commands per renewal interval",
            ""));
  }
}
