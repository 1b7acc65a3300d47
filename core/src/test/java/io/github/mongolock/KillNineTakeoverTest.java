package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A holder in another JVM is killed with {@code kill -9} while it holds the write lock: its
 * heartbeat stops, its lease runs out, and a contender evicts it and takes the lock within lease
 * time + one renewal interval, leaving no trace of the dead holder in the document.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KillNineTakeoverTest {

  private static final Duration LEASE = Duration.ofMillis(2000);
  private static final Duration RENEW = Duration.ofMillis(500);

  /** Child JVM scheduling, the contender's polling, the kill itself. */
  private static final Duration SLACK = Duration.ofMillis(1500);

  @Test
  void killedHolderIsEvictedWithinLeasePlusOneRenewal(MongoDatabase db) throws Exception {
    MongoCollection<Document> locks = freshCollection(db);
    String lockID = "kill-9";
    Process child =
        ChildJvm.builder(
                List.of(),
                HoldingProcess.class,
                List.of(
                    TestMongo.get().uri(),
                    db.getName(),
                    locks.getNamespace().getCollectionName(),
                    lockID,
                    "child",
                    String.valueOf(LEASE.toMillis()),
                    String.valueOf(RENEW.toMillis())))
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertEquals(
          "held",
          ChildJvm.nextLine(out, "held"::equals, Duration.ofSeconds(30)),
          "the child holds the lock");

      Document before = storedRaw(locks, lockID);
      assertEquals("child", before.getString("writer"));
      String childSession = before.getList("holders", Document.class).get(0).getString("s");
      Date firstStamp = lease(before, childSession);

      RWMutex contender =
          new RWMutex(
              locks,
              lockID,
              "contender",
              LockTestSupport.fast().toBuilder().leaseTime(LEASE).renewInterval(RENEW).build());
      assertFalse(
          contender.tryLock(Duration.ofMillis(LEASE.toMillis() + RENEW.toMillis())),
          "a live holder keeps the lock past its lease: its heartbeat renews it");
      Date renewedStamp = lease(storedRaw(locks, lockID), childSession);
      assertTrue(renewedStamp.after(firstStamp), "the child's heartbeat renewed its lease");

      Process kill =
          new ProcessBuilder("kill", "-9", String.valueOf(child.pid())).inheritIO().start();
      long killedAt = System.nanoTime();
      assertEquals(0, kill.waitFor(), "kill -9 ran");
      assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the child died");

      contender.lock(Duration.ofSeconds(30));
      long takeover = System.nanoTime() - killedAt;
      System.out.printf(
          "[lease] takeover after kill -9: %d ms (lease %d ms, renewal %d ms)%n",
          TimeUnit.NANOSECONDS.toMillis(takeover), LEASE.toMillis(), RENEW.toMillis());
      assertTrue(
          takeover <= LEASE.plus(RENEW).plus(SLACK).toNanos(),
          "taken over within lease + one renewal interval (+ slack): "
              + TimeUnit.NANOSECONDS.toMillis(takeover)
              + " ms");

      Document after = storedRaw(locks, lockID);
      assertEquals("contender", after.getString("writer"));
      assertEquals(List.of(), after.getList("readers", String.class));
      List<Document> holders = after.getList("holders", Document.class);
      assertEquals(1, holders.size(), "only the new holder's entry: " + after.toJson());
      assertEquals("contender", holders.get(0).getString("c"));
      assertFalse(
          after.get("leases", Document.class).containsKey(childSession),
          "the dead session's lease is gone: " + after.toJson());
      contender.unlock();
    } finally {
      child.destroyForcibly();
    }
  }

  private static Date lease(Document doc, String session) {
    Document lease = doc.get("leases", Document.class).get(session, Document.class);
    assertNotNull(lease, "lease of " + session + " in " + doc.toJson());
    return lease.getDate("at");
  }
}
