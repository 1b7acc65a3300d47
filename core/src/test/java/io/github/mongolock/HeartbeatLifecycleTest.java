package io.github.mongolock;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.internal.lease.LeaseKeeper;
import io.github.mongolock.testkit.MongoExtension;
import java.time.Duration;
import java.util.Date;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The heartbeat runs while something is held, and stops when nothing is. */
@ExtendWith(MongoExtension.class)
class HeartbeatLifecycleTest {

  @Test
  void theHeartbeatStopsWhenNothingIsHeldAndStartsAgainOnTheNextAcquire(MongoDatabase db) {
    MongoCollection<Document> locks = LockTestSupport.freshCollection(db);
    RWMutexOptions options =
        LockTestSupport.fast().toBuilder()
            .leaseTime(Duration.ofMillis(900))
            .renewInterval(Duration.ofMillis(100))
            .build();
    RWMutex mutex = new RWMutex(locks, "lock_1", "a", options);
    LeaseKeeper keeper = mutex.leaseKeeper();
    assertFalse(keeper.isScheduled(), "nothing held yet: no periodic task");

    mutex.lock();
    assertTrue(keeper.isScheduled());
    Date stamped = leaseStamp(locks);
    LockTestSupport.sleep(400);
    assertNotEquals(stamped, leaseStamp(locks), "the heartbeat renewed the lease");
    mutex.unlock();

    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (keeper.isScheduled() && System.nanoTime() < deadline) {
      LockTestSupport.sleep(20);
    }
    assertFalse(keeper.isScheduled(), "stopped after the last release");

    mutex.lock();
    assertTrue(keeper.isScheduled(), "started again");
    stamped = leaseStamp(locks);
    LockTestSupport.sleep(1500);
    assertTrue(mutex.isWriteLockedByCurrentThread(), "held past its 900 ms lease: renewed");
    assertNotEquals(stamped, leaseStamp(locks));
    mutex.unlock();
  }

  private static Date leaseStamp(MongoCollection<Document> locks) {
    Document doc = LockTestSupport.storedRaw(locks, "lock_1");
    Document leases = doc.get("leases", Document.class);
    if (leases == null) {
      throw new AssertionError("no leases in " + doc.toJson());
    }
    Document lease = leases.get(leases.keySet().iterator().next(), Document.class);
    return lease.getDate("at");
  }
}
