package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.github.mongolock.testkit.MongoExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Faults found by running processes through a fault proxy, reproduced deterministically with
 * collection wrappers: a failed release must not keep the lock alive, and no state the library
 * writes may leave a holder without a lease.
 */
@ExtendWith(MongoExtension.class)
class FaultsTest {

  private static final Duration LEASE = Duration.ofMillis(1200);
  private static final Duration RENEW = Duration.ofMillis(300);

  private static RWMutexOptions shortLease() {
    return fast().toBuilder().leaseTime(LEASE).renewInterval(RENEW).build();
  }

  @Test
  void aLockWhoseReleaseFailedExpiresWhileTheProcessHoldsAnotherLock(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    LockTestSupport.LosingReplies network = new LockTestSupport.LosingReplies(locks);
    RWMutex a = new RWMutex(network.collection, "A", "P", shortLease());
    RWMutex b = new RWMutex(network.collection, "B", "P", shortLease());
    a.lock();
    b.lock();
    network.refuseNextWrites(3); // every try of B's release fails before reaching MongoDB
    assertThrows(LockReleaseException.class, b::unlock);
    assertFalse(b.isHeld());
    assertEquals("P", storedRaw(locks, "B").getString("writer"), "still named in MongoDB");

    RWMutex other = new RWMutex(locks, "B", "Q", shortLease());
    long start = System.nanoTime();
    assertTrue(
        other.tryLock(LEASE.multipliedBy(10)),
        "B expires although P still holds A and renews A's lease");
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(a.isWriteLockedByCurrentThread(), "A is still held and renewed");
    System.out.printf("[faults] B taken over %d ms after its failed release%n", waitedMs);
    other.unlock();
    a.unlock();
  }

  /** Every writer and reader that has an entry somewhere in the document keeps one with a lease. */
  private static void assertEveryHolderHasALease(MongoCollection<Document> locks, String lockID) {
    Document doc = storedRaw(locks, lockID);
    if (doc == null) {
      return;
    }
    Set<String> withEntry = new HashSet<>();
    for (Document entry : doc.getList("holders", Document.class, List.of())) {
      withEntry.add(entry.getString("c"));
      assertTrue(
          doc.get("leases", Document.class).containsKey(entry.getString("s")),
          "an entry without a lease: " + doc.toJson());
    }
    List<String> holders = new ArrayList<>(doc.getList("readers", String.class, List.of()));
    String writer = doc.getString("writer");
    if (writer != null && !writer.isEmpty()) {
      holders.add(writer);
    }
    for (String holder : holders) {
      assertTrue(withEntry.contains(holder), holder + " holds without a lease: " + doc.toJson());
    }
  }

  @Test
  void aResentAcquireThatMeetsAWaitingWritersMarkIsStillGranted(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    LockTestSupport.LosingReplies losing = new LockTestSupport.LosingReplies(locks);
    RWMutex c = new RWMutex(losing.collection, "X", "C", shortLease());
    AtomicBoolean marked = new AtomicBoolean();
    // between the applied acquire and its resend, a writer of another process starts waiting
    losing.afterEachLoss(
        () -> {
          if (marked.compareAndSet(false, true)) {
            locks.updateOne(
                Filters.eq("lockID", "X"),
                Updates.combine(
                    Updates.set("writerWaiting.client", "W"),
                    Updates.set("writerWaiting.ttlMs", 60_000L),
                    Updates.currentDate("writerWaiting.at")));
          }
        });
    losing.loseNextReplies(1);
    assertTrue(c.tryLock(), "the first send was applied: C is the writer");
    assertTrue(c.isWriteLockedByCurrentThread());
    assertEquals("C", storedRaw(locks, "X").getString("writer"));
    // a downgrade and its release must leave the writer its lease entry
    c.rLock();
    c.rUnlock();
    assertEveryHolderHasALease(locks, "X");
    c.unlock();
    assertEveryHolderHasALease(locks, "X");
    // the resend's acquire cleared W's mark, as every write acquire does (W marks again when it
    // next polls), so the release deleted the document
    assertEquals(null, storedRaw(locks, "X"));
  }

  @Test
  void aWriteHoldThisProcessCouldNotUndoKeepsItsLeaseEntryAndExpires(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    LockTestSupport.LosingReplies network = new LockTestSupport.LosingReplies(locks);
    RWMutex c = new RWMutex(network.collection, "G", "C", shortLease());
    int[] losses = {0};
    network.afterEachLoss(
        () -> {
          if (++losses[0] == 3) {
            network.refuseNextWrites(2); // the undo (delete, then update) cannot reach MongoDB
          }
        });
    network.loseNextReplies(3);
    assertThrows(LockAcquisitionException.class, c::tryLock);
    assertEquals("C", storedRaw(locks, "G").getString("writer"), "applied, and not undone");
    // the same client reads: MongoDB says it is the writer, so the read joins (as in the seed)
    assertTrue(c.tryRLock());
    c.rUnlock();
    assertEveryHolderHasALease(locks, "G");
    // nobody renews that lease: another client takes the lock once it has run out
    RWMutex other = new RWMutex(locks, "G", "Q", shortLease());
    assertTrue(other.tryLock(LEASE.multipliedBy(10)), "the undone write hold expired");
    other.unlock();
  }
}
