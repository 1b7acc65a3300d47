package io.github.mongolock.examples;

import com.mongodb.client.MongoClient;
import io.github.mongolock.testkit.TestMongo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.core.env.MapPropertySource;

/**
 * Several simulated nodes, each a Spring application context with its own MongoClient, client ID
 * and threads, restock, count and transfer stock on one {@link Shelf} that throws when a write
 * overlaps any other access. Ends with a summary, and fails when a call overlapped or failed.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java -Dexample.mainClass=io.github.mongolock.examples.WarehouseExample
 * </pre>
 *
 * <p>Runs on the embedded MongoDB unless {@code MONGODB_URI} is set. With {@code
 * -Dexample.unsharedLocks=true} (or the argument {@code --unshared-locks}) each node keeps its
 * locks in its own collection, so nodes no longer exclude each other and the shelf reports the
 * overlaps: the check can fail.
 */
public final class WarehouseExample {

  static final List<String> SKUS = List.of("apples", "pears", "plums");

  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final int nodeCount;
  private final int threadsPerNode;
  private final int callsPerThread;
  private final LongAdder calls = new LongAdder();
  private final LongAdder overlaps = new LongAdder();
  private final LongAdder failures = new LongAdder();

  public static void main(String[] args) throws Exception {
    boolean sharedLocks =
        !(List.of(args).contains("--unshared-locks")
            || Boolean.getBoolean("example.unsharedLocks"));
    boolean excluded;
    try {
      excluded = new WarehouseExample(3, 4, 40).run(sharedLocks);
    } finally {
      TestMongo.shutdown();
    }
    if (!excluded) {
      throw new IllegalStateException("calls overlapped or failed: the locks did not exclude");
    }
  }

  WarehouseExample(int nodeCount, int threadsPerNode, int callsPerThread) {
    this.nodeCount = nodeCount;
    this.threadsPerNode = threadsPerNode;
    this.callsPerThread = callsPerThread;
  }

  /** True when no call overlapped another and none failed. */
  boolean run(boolean sharedLocks) throws Exception {
    TestMongo mongo = TestMongo.get();
    String database =
        "mongo_lock_example_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    System.out.printf(
        "%d nodes x %d threads x %d calls on %s%s%n",
        nodeCount,
        threadsPerNode,
        callsPerThread,
        mongo.description(),
        sharedLocks ? "" : ", each node with its OWN lock collection (--unshared-locks)");

    Shelf shelf = new Shelf();
    LockWaits.reset();
    List<AnnotationConfigApplicationContext> nodes = new ArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(nodeCount * threadsPerNode);
    long start = System.nanoTime();
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int n = 1; n <= nodeCount; n++) {
        AnnotationConfigApplicationContext node =
            startNode("node-" + n, database, sharedLocks, shelf);
        nodes.add(node);
        StockService stock = node.getBean(StockService.class);
        TransferService transfers = node.getBean(TransferService.class);
        for (int t = 0; t < threadsPerNode; t++) {
          work.add(threads.submit(() -> callMany(stock, transfers)));
        }
      }
      for (Future<?> f : work) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      threads.shutdownNow();
      nodes.forEach(AnnotationConfigApplicationContext::close);
      try (MongoClient client = mongo.newClient()) {
        client.getDatabase(database).drop();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "calls: %d   overlaps: %d   failures: %d   waited >= %d ms for a lock: %d (longest %d ms)"
            + "   time: %.1f s%n",
        calls.sum(),
        overlaps.sum(),
        failures.sum(),
        LockWaits.THRESHOLD_MS,
        LockWaits.WAITED.sum(),
        TimeUnit.NANOSECONDS.toMillis(LockWaits.MAX_WAIT_NANOS.get()),
        seconds);
    return overlaps.sum() == 0 && failures.sum() == 0;
  }

  private static AnnotationConfigApplicationContext startNode(
      String name, String database, boolean sharedLocks, Shelf shelf) {
    AnnotationConfigApplicationContext node = new AnnotationConfigApplicationContext();
    node.getEnvironment()
        .getPropertySources()
        .addFirst(
            new MapPropertySource(
                "node",
                Map.of(
                    "node.name", name,
                    "example.database", database,
                    "example.lock-collection", sharedLocks ? "locks" : "locks-" + name)));
    node.registerBean(Shelf.class, () -> shelf);
    node.register(NodeConfig.class);
    node.refresh();
    return node;
  }

  private void callMany(StockService stock, TransferService transfers) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < callsPerThread; i++) {
      String sku = SKUS.get(random.nextInt(SKUS.size()));
      String other = SKUS.get(random.nextInt(SKUS.size()));
      LockWaits.start();
      try {
        switch (random.nextInt(3)) {
          case 0 -> stock.restock(sku, 1 + random.nextInt(5));
          case 1 -> stock.count(sku);
          default -> {
            if (sku.equals(other)) {
              stock.count(sku);
            } else {
              transfers.transfer(sku, other, 1);
            }
          }
        }
      } catch (Shelf.Overlap overlap) {
        overlaps.increment();
      } catch (RuntimeException e) {
        failures.increment();
        System.out.println("failed: " + e);
      } finally {
        calls.increment();
      }
    }
  }
}
