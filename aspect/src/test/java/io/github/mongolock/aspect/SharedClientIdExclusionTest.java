package io.github.mongolock.aspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.MongoExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Concurrent calls of a {@code @WriteLocked} method in one JVM exclude each other although the
 * ClientIdProvider returns one ID for the whole process. The same workload on an unannotated twin
 * shows that the overlap check catches overlaps when there is no lock.
 */
@ExtendWith(MongoExtension.class)
class SharedClientIdExclusionTest {

  static final int THREADS = 8;
  static final int CALLS_PER_THREAD = 15;

  public static class Account {
    private final AtomicInteger inside = new AtomicInteger();
    private final AtomicInteger overlaps = new AtomicInteger();
    private int balance; // deliberately unsynchronized: the lock is the only guard

    @WriteLocked("account")
    public void deposit() {
      depositUnlocked();
    }

    public int overlaps() {
      return overlaps.get();
    }

    public int balance() {
      return balance;
    }

    public void depositUnlocked() {
      if (inside.incrementAndGet() > 1) {
        overlaps.incrementAndGet();
      }
      int before = balance;
      sleep(1);
      balance = before + 1;
      inside.decrementAndGet();
    }
  }

  @Configuration
  @EnableMongoLocks
  static class Config {
    @Bean
    ClientIdProvider clientIdProvider() {
      return () -> "one-id-for-the-whole-process";
    }

    @Bean
    Account account() {
      return new Account();
    }
  }

  @Test
  void threadsSharingAClientIdExcludeEachOther(MongoDatabase database) throws Exception {
    try (AnnotationConfigApplicationContext context = TestContexts.start(database, Config.class)) {
      Account account = context.getBean(Account.class);
      hammer(account::deposit);
      assertEquals(0, account.overlaps(), "overlapping calls");
      assertEquals(THREADS * CALLS_PER_THREAD, account.balance(), "lost updates");
    }
  }

  @Test
  void withoutTheLockTheCheckSeesOverlaps() throws Exception {
    Account account = new Account();
    hammer(account::depositUnlocked);
    assertTrue(account.overlaps() > 0, "the check should catch unlocked overlaps");
  }

  private static void hammer(Runnable call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < CALLS_PER_THREAD; i++) {
                    call.run();
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
