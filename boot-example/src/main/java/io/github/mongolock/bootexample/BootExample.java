package io.github.mongolock.bootexample;

import com.mongodb.client.MongoClient;
import io.github.mongolock.aspect.MongoLocks;
import io.github.mongolock.testkit.TestMongo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts {@code nodes} instances of {@link BootExampleApplication} in this JVM, each with its own
 * client ID ({@code mongo-lock.client-id=node-N}), context, lock runtime and MongoClient, so they
 * exclude each other only through MongoDB; each node's threads deposit to and read two accounts of
 * one shared {@link AccountBook}. A summary follows; the run excluded when no call overlapped or
 * failed and the balances equal the deposits (an overlapping write would have lost an update).
 */
final class BootExample {

  static final List<String> ACCOUNTS = List.of("alice", "bob");

  private static final AtomicInteger RUNS = new AtomicInteger();

  private final int nodes;
  private final int threadsPerNode;
  private final int callsPerThread;

  /**
   * What a run did.
   *
   * @param calls the calls made
   * @param writes the deposits among them that completed
   * @param reads the balance reads among them that completed
   * @param overlaps the calls the account book caught overlapping a write
   * @param failures the calls that failed otherwise
   * @param mostReadersAtOnce the most readers of one account at the same time
   * @param balancesMatch whether every account's balance is the sum of its completed deposits
   */
  record Result(
      long calls,
      long writes,
      long reads,
      long overlaps,
      long failures,
      int mostReadersAtOnce,
      boolean balancesMatch) {

    boolean excluded() {
      return overlaps == 0 && failures == 0 && balancesMatch;
    }
  }

  BootExample(int nodes, int threadsPerNode, int callsPerThread) {
    this.nodes = nodes;
    this.threadsPerNode = threadsPerNode;
    this.callsPerThread = callsPerThread;
  }

  /**
   * One run.
   *
   * @param sharedLocks false to give each node its own lock collection: a negative control, where
   *     the nodes no longer exclude each other
   */
  Result run(boolean sharedLocks) throws Exception {
    TestMongo mongo = TestMongo.get();
    // a database per run, so that runs (and the test's two) never see each other's locks
    String database =
        "mongo_lock_boot_example_" + ProcessHandle.current().pid() + "_" + RUNS.incrementAndGet();
    System.out.printf(
        "Spring Boot example: %d nodes x %d threads x %d calls on %s%s%n",
        nodes,
        threadsPerNode,
        callsPerThread,
        mongo.description(),
        sharedLocks ? "" : ", each node with its OWN lock collection (--unshared-locks)");

    AccountBook book = new AccountBook();
    Counts counts = new Counts();
    List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(nodes * threadsPerNode);
    long start = System.nanoTime();
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int n = 1; n <= nodes; n++) {
        ConfigurableApplicationContext node = startNode(name(n), database, sharedLocks, book);
        contexts.add(node);
        AccountService accounts = node.getBean(AccountService.class);
        MongoLocks locks = node.getBean(MongoLocks.class);
        System.out.printf(
            "  %s: locks in %s as client %s%n",
            name(n), locks.collection().getNamespace(), locks.clientId());
        for (int t = 0; t < threadsPerNode; t++) {
          work.add(threads.submit(() -> callMany(accounts, counts)));
        }
      }
      for (Future<?> f : work) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      threads.shutdownNow();
      contexts.forEach(ConfigurableApplicationContext::close);
      try (MongoClient client = mongo.newClient()) {
        client.getDatabase(database).drop();
      }
    }
    boolean balancesMatch = ACCOUNTS.stream().allMatch(a -> book.balance(a) == counts.deposited(a));
    Result result =
        new Result(
            counts.calls.sum(),
            counts.writes.sum(),
            counts.reads.sum(),
            book.overlaps(),
            counts.failures.sum(),
            book.mostReadersAtOnce(),
            balancesMatch);
    System.out.printf(
        "calls: %d (deposits %d, balance reads %d)   overlaps: %d   failures: %d   most readers"
            + " at once: %d   balances = deposits: %s   time: %.1f s%n",
        result.calls(),
        result.writes(),
        result.reads(),
        result.overlaps(),
        result.failures(),
        result.mostReadersAtOnce(),
        balancesMatch ? "yes" : "NO",
        (System.nanoTime() - start) / 1e9);
    return result;
  }

  private static String name(int node) {
    return "node-" + node;
  }

  private static ConfigurableApplicationContext startNode(
      String name, String database, boolean sharedLocks, AccountBook book) {
    return new SpringApplicationBuilder(BootExampleApplication.class)
        .web(WebApplicationType.NONE)
        .bannerMode(Banner.Mode.OFF)
        .logStartupInfo(false)
        .registerShutdownHook(false) // closed by run(), before the database is dropped
        .initializers(context -> context.getBeanFactory().registerSingleton("accountBook", book))
        // command-line arguments, as an operator would pass them: they win over
        // application.properties (SpringApplicationBuilder.properties would not)
        .run(
            "--mongo-lock.client-id=" + name,
            "--mongo-lock.database=" + database,
            "--mongo-lock.collection=" + (sharedLocks ? "locks" : "locks-" + name));
  }

  private void callMany(AccountService accounts, Counts counts) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < callsPerThread; i++) {
      String account = ACCOUNTS.get(random.nextInt(ACCOUNTS.size()));
      try {
        if (random.nextInt(10) < 4) {
          long amount = 1 + random.nextInt(100);
          accounts.deposit(account, amount);
          counts.deposited(account, amount);
          counts.writes.increment();
        } else {
          accounts.balance(account);
          counts.reads.increment();
        }
      } catch (AccountBook.Overlap overlap) {
        // counted by the book
      } catch (RuntimeException e) {
        counts.failures.increment();
        System.out.println("failed: " + e);
      } finally {
        counts.calls.increment();
      }
    }
  }

  /** What the callers saw. */
  private static final class Counts {
    final LongAdder calls = new LongAdder();
    final LongAdder writes = new LongAdder();
    final LongAdder reads = new LongAdder();
    final LongAdder failures = new LongAdder();
    private final java.util.Map<String, LongAdder> deposits =
        new java.util.concurrent.ConcurrentHashMap<>();

    void deposited(String account, long amount) {
      deposits.computeIfAbsent(account, a -> new LongAdder()).add(amount);
    }

    long deposited(String account) {
      LongAdder sum = deposits.get(account);
      return sum == null ? 0 : sum.sum();
    }
  }
}
