package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.eventually;
import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.millisSince;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.FaultProxy;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A process whose connection to MongoDB fails, through a loopback fault proxy: every wait ends at
 * its bound, an unlock ends within {@code commandTimeout}, a lock whose release failed is released
 * once MongoDB answers again, and a renewal stuck on one server does not stall the leases kept on
 * another. Each bound is checked with a generous margin (a loaded 2-core machine), against faults
 * far longer than the bound, so that an unbounded wait cannot pass.
 */
@ExtendWith(MongoExtension.class)
class NetworkFaultTest {

  private static final Duration HOLE = Duration.ofSeconds(20);
  private static final long MARGIN_MS = 3_000;

  private ProxiedLocks setup;
  private FaultProxy proxy;
  private MongoCollection<Document> locks;
  private MongoCollection<Document> locksViaProxy;
  private LockRuntime runtime;

  @BeforeEach
  void start(MongoDatabase db, TestMongo mongo) {
    setup = new ProxiedLocks(db, mongo, "faults");
    proxy = setup.proxy;
    locks = setup.locks;
    locksViaProxy = setup.locksViaProxy;
    runtime = setup.runtime;
  }

  @AfterEach
  void stop() {
    setup.close();
  }

  private RWMutex viaProxy(String lockID, String client, RWMutexOptions options) {
    return new RWMutex(runtime, locksViaProxy, lockID, client, options);
  }

  @Test
  void aTimedWaitEndsAtItsBoundWhileMongoDbDoesNotAnswer() {
    RWMutex holder = new RWMutex(locks, "held", "holder", fast());
    holder.lock();
    RWMutex waiter = viaProxy("held", "waiter", fast());
    assertFalse(waiter.tryRLock(), "connected and set up before the fault");
    proxy.blackhole(HOLE, true);

    long start = System.nanoTime();
    assertFalse(waiter.tryLock(Duration.ofSeconds(2)));
    long tryMs = millisSince(start);
    start = System.nanoTime();
    LockTimeoutException timedOut =
        assertThrows(LockTimeoutException.class, () -> waiter.lock(Duration.ofSeconds(1)));
    long lockMs = millisSince(start);
    System.out.printf(
        "[faults] during a %d s blackhole: tryLock(2 s) returned after %d ms, lock(1 s) after %d"
            + " ms%n",
        HOLE.toSeconds(), tryMs, lockMs);
    assertTrue(tryMs >= 1_900 && tryMs < 2_000 + MARGIN_MS, "tryLock(2 s) took " + tryMs + " ms");
    assertTrue(lockMs < 1_000 + MARGIN_MS, "lock(1 s) took " + lockMs + " ms");
    assertTrue(timedOut.getMessage().contains("held"), timedOut.getMessage());

    proxy.clear();
    holder.unlock();
    // the waiter's undo of whatever its last attempt may have done runs in the background
    assertTrue(waiter.tryLock(Duration.ofSeconds(20)), "usable once MongoDB answers again");
    waiter.unlock();
  }

  @Test
  void anUnlockEndsWithinTheCommandTimeoutAndTheLockIsReleasedWhenMongoDbAnswersAgain() {
    RWMutexOptions options =
        fast().toBuilder()
            .commandTimeout(Duration.ofSeconds(1))
            .leaseTime(Duration.ofSeconds(60)) // expiry cannot be what frees it
            .build();
    RWMutex holder = viaProxy("release", "holder", options);
    holder.lock();
    proxy.blackhole(HOLE, true);
    long start = System.nanoTime();
    assertThrows(LockReleaseException.class, holder::unlock);
    long unlockMs = millisSince(start);
    System.out.printf("[faults] unlock during a blackhole failed after %d ms%n", unlockMs);
    assertTrue(unlockMs < 1_000 + MARGIN_MS, "unlock took " + unlockMs + " ms");
    assertFalse(holder.isHeld());
    assertEquals("holder", storedRaw(locks, "release").getString("writer"), "not released yet");

    proxy.clear();
    assertTrue(
        eventually(() -> storedRaw(locks, "release") == null, 30_000),
        "released by the retry in the background, long before the 60 s lease ran out");
    RWMutex other = new RWMutex(locks, "release", "other", fast());
    assertTrue(other.tryLock());
    other.unlock();
  }

  @Test
  void aRenewalStuckOnOneServerDoesNotStallTheLeasesKeptOnAnother(MongoDatabase db) {
    RWMutexOptions shortLease =
        fast().toBuilder()
            .leaseTime(Duration.ofMillis(2_000))
            .renewInterval(Duration.ofMillis(400))
            .build();
    AtomicInteger lostViaProxy = new AtomicInteger();
    AtomicInteger lostDirect = new AtomicInteger();
    RWMutex cutOff = viaProxy("cut-off", "p", shortLease);
    cutOff.addLockLostListener((id, client, mode) -> lostViaProxy.incrementAndGet());
    RWMutex direct =
        new RWMutex(runtime, db.getCollection("direct" + System.nanoTime()), "d", "p", shortLease);
    direct.addLockLostListener((id, client, mode) -> lostDirect.incrementAndGet());
    cutOff.lock();
    direct.lock();
    proxy.blackhole(Duration.ofSeconds(6), true);
    assertTrue(eventually(() -> lostViaProxy.get() == 1, 10_000), "the cut-off lease is lost");
    LockTestSupport.sleep(2_500); // more than a lease time with the other renewals stuck
    assertEquals(0, lostDirect.get(), "the other collection's lease kept being renewed");
    assertTrue(direct.isWriteLockedByCurrentThread());
    direct.unlock();
    proxy.clear();
    assertThrows(LockLostException.class, cutOff::unlock);
  }

  @Test
  void underEachFaultAnAcquireAndAReleaseSucceedOrFailWithinBoundsAndLeaveNothingBehind() {
    RWMutexOptions options = fast().toBuilder().commandTimeout(Duration.ofSeconds(1)).build();
    List<Runnable> faults =
        List.of(
            () -> proxy.dropNextReplies(1),
            () -> proxy.dropNextReplies(2),
            () -> proxy.cutAll(),
            () -> proxy.delay(Duration.ofMillis(300)),
            () -> proxy.blackhole(Duration.ofMillis(1_500), true),
            () -> proxy.refuseConnections(Duration.ofMillis(1_500)));
    int round = 0;
    for (Runnable fault : faults) {
      for (boolean write : new boolean[] {true, false}) {
        String lockID = "fault-" + round++;
        RWMutex mutex = viaProxy(lockID, "c", options);
        fault.run();
        long start = System.nanoTime();
        boolean acquired;
        try {
          acquired =
              write ? mutex.tryLock(Duration.ofSeconds(3)) : mutex.tryRLock(Duration.ofSeconds(3));
        } catch (MongoLockException e) {
          acquired = false; // a typed failure within the bound is an allowed outcome
        }
        long acquireMs = millisSince(start);
        assertTrue(acquireMs < 3_000 + MARGIN_MS, lockID + ": acquire took " + acquireMs + " ms");
        if (acquired) {
          fault.run();
          start = System.nanoTime();
          try {
            if (write) {
              mutex.unlock();
            } else {
              mutex.rUnlock();
            }
          } catch (MongoLockException e) {
            // allowed: the release is retried in the background
          }
          long releaseMs = millisSince(start);
          assertTrue(releaseMs < 1_000 + MARGIN_MS, lockID + ": release took " + releaseMs + " ms");
        }
        proxy.clear();
        assertTrue(
            eventually(() -> storedRaw(locks, lockID) == null, 30_000),
            lockID + ": nothing left behind: " + storedRaw(locks, lockID));
        RWMutex check = new RWMutex(locks, lockID, "check", fast());
        assertTrue(check.tryLock(), lockID + ": usable afterwards");
        check.unlock();
      }
    }
  }
}
