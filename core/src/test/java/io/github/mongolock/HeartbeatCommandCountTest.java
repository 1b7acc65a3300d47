package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.freshCollection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.internal.lease.LeaseKeeper;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Renewal does not grow with the number of locks held: a process holding 10,000 locks in one
 * collection sends one command per renewal interval for all of them (a driver {@link
 * CommandListener} sees every command). Override the number with {@code -Dlocks=N}.
 *
 * <p>The lease is generous (20 s, renewed every 2 s) because on the embedded server every renewal
 * scans the whole collection (it ignores the multikey index on {@code holders.s}) and acquiring
 * 10,000 locks takes about 20 s on a busy two-core machine; with a 6 s lease a loaded machine once
 * lost leases, which is what leases are for, but not what this test is about.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HeartbeatCommandCountTest {

  static final int LOCKS = Integer.getInteger("locks", 10_000);
  private static final Duration LEASE = Duration.ofSeconds(20);
  private static final Duration RENEW = Duration.ofSeconds(2);
  private static final int INTERVALS = 4;

  @Test
  void oneRenewalCommandPerIntervalForTenThousandLocks(MongoDatabase db) {
    List<String> commands = Collections.synchronizedList(new ArrayList<>());
    CommandListener listener =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            commands.add(event.getCommandName() + " " + Thread.currentThread().getName());
          }
        };
    MongoCollection<Document> plain = freshCollection(db);
    try (MongoClient client = TestMongo.get().newClient(listener)) {
      MongoCollection<Document> locks =
          client.getDatabase(db.getName()).getCollection(plain.getNamespace().getCollectionName());
      RWMutexOptions options =
          RWMutexOptions.builder().leaseTime(LEASE).renewInterval(RENEW).build();
      AtomicInteger lost = new AtomicInteger();
      List<RWMutex> held = new ArrayList<>(LOCKS);
      long start = System.nanoTime();
      for (int i = 0; i < LOCKS; i++) {
        RWMutex mutex = new RWMutex(locks, "lock-" + i, "process-1", options);
        mutex.addLockLostListener((lockID, clientID, mode) -> lost.incrementAndGet());
        mutex.lock();
        held.add(mutex);
      }
      long acquireMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      LeaseKeeper keeper = held.get(0).leaseKeeper();
      assertEquals(LOCKS, keeper.heldCount());

      commands.clear();
      long window = RENEW.multipliedBy(INTERVALS).toMillis() + RENEW.toMillis() / 2;
      LockTestSupport.sleep(window);
      List<String> seen = new ArrayList<>(commands);
      System.out.printf(
          "[lease] %d locks acquired in %d ms; %d commands in %d ms (%.1f renewal intervals): %s%n",
          LOCKS, acquireMillis, seen.size(), window, (double) window / RENEW.toMillis(), seen);
      assertTrue(
          seen.size() >= INTERVALS - 1 && seen.size() <= INTERVALS + 1,
          "about one command per interval: " + seen);
      assertTrue(
          seen.stream().allMatch(c -> c.startsWith("update mongo-lock-heartbeat")),
          "all of them the heartbeat's update: " + seen);
      assertEquals(0, lost.get(), "no lock lost");
      assertEquals(LOCKS, keeper.heldCount(), "all leases still held");
      long alive =
          locks.countDocuments(
              io.github.mongolock.internal.store.LockCommands.aliveLeases(
                      keeper.sessionID, List.of())
                  .filter());
      assertEquals(LOCKS, alive, "every lease unexpired by the server's clock");

      start = System.nanoTime();
      for (RWMutex mutex : held) {
        mutex.unlock();
      }
      System.out.printf(
          "[lease] %d locks released in %d ms%n",
          LOCKS, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      assertEquals(0, keeper.heldCount());
      assertEquals(0, locks.countDocuments());
    }
  }
}
