package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.eventually;
import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.millisSince;
import static io.github.mongolock.LockTestSupport.waitingMark;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.FaultProxy;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Found by {@link TortureTest}: timed acquires that returned up to {@code commandTimeout} past
 * their bound (a 119 ms {@code rLock} that took 1152 ms, a 894 ms {@code tryLock} that took 1907
 * ms, with {@code commandTimeout} 1 s). A timed wait's commands are to be bounded by what is left
 * of it; two are bounded by {@code commandTimeout} alone, and run after the wait's last attempt:
 *
 * <ul>
 *   <li>the removal of a waiting writer's {@code writerWaiting} mark when the wait ends without the
 *       lock ({@code AcquireLoop.WaitingMark.clear});
 *   <li>the undo of an attempt whose outcome is unknown, run in the foreground when the attempts
 *       failed before the wait was over ({@code AcquireLoop.undoPossibleAcquire}).
 * </ul>
 *
 * <p>And an unlock, which is to take at most {@code commandTimeout} with its retries, sends up to
 * four commands (a delete, then updates) each bounded by the whole {@code commandTimeout}: behind a
 * slow network, or a slow server, an unlock that another client's waiting mark keeps from deleting
 * the document takes two round trips of up to {@code commandTimeout} each.
 *
 * <p>The overruns are made unmistakable: each test expects the call's bound plus a margin, less
 * than what the overrun adds.
 */
@ExtendWith(MongoExtension.class)
class CallBoundTest {

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(8);
  private static final long MARGIN_MS = 3_000;

  private ProxiedLocks setup;
  private FaultProxy proxy;
  private MongoCollection<Document> locks;
  private MongoCollection<Document> locksViaProxy;
  private LockRuntime runtime;

  @BeforeEach
  void start(MongoDatabase db, TestMongo mongo) {
    setup = new ProxiedLocks(db, mongo, "bounds");
    proxy = setup.proxy;
    locks = setup.locks;
    locksViaProxy = setup.locksViaProxy;
    runtime = setup.runtime;
  }

  @AfterEach
  void stop() {
    setup.close();
  }

  private static RWMutexOptions options() {
    return fast().toBuilder().commandTimeout(COMMAND_TIMEOUT).build();
  }

  @Test
  void aWaitingWriterReturnsAtItsBoundWhenMongoDbStopsAnsweringAfterItMarkedTheLock()
      throws Exception {
    RWMutex holder = new RWMutex(locks, "marked", "holder", fast());
    holder.lock();
    RWMutex waiter = new RWMutex(runtime, locksViaProxy, "marked", "waiter", options());
    assertFalse(waiter.tryRLock(), "connected and set up before the fault");
    Duration bound = Duration.ofSeconds(3);
    long start = System.nanoTime();
    CompletableFuture<Boolean> waited =
        LockTestSupport.onThread("waiter", () -> waiter.tryLock(bound));
    assertTrue(
        eventually(() -> "waiter".equals(waitingMark(locks, "marked")), 10_000),
        "the waiting writer marked the lock");
    proxy.blackhole(Duration.ofSeconds(30), true);
    boolean acquired = waited.get(60, TimeUnit.SECONDS);
    long tookMs = millisSince(start);
    System.out.printf(
        "[bounds] tryLock(%d ms) of a waiting writer cut off after marking the lock returned after"
            + " %d ms (commandTimeout %d ms)%n",
        bound.toMillis(), tookMs, COMMAND_TIMEOUT.toMillis());
    assertFalse(acquired);
    assertTrue(
        tookMs < bound.toMillis() + MARGIN_MS,
        "tryLock(" + bound.toMillis() + " ms) returned after " + tookMs + " ms");
    proxy.clear();
    holder.unlock();
  }

  @Test
  void aTimedReadWhoseAttemptsFailQuicklyReturnsAtItsBound() throws Exception {
    // every attempt is applied but its reply is lost; then MongoDB stops answering, so the undo of
    // what the last attempt may have taken cannot finish
    LockTestSupport.LosingReplies network = new LockTestSupport.LosingReplies(locksViaProxy);
    AtomicInteger lost = new AtomicInteger();
    network.afterEachLoss(
        () -> {
          if (lost.incrementAndGet() == 3) {
            proxy.blackhole(Duration.ofSeconds(30), true);
          }
        });
    RWMutex reader = new RWMutex(runtime, network.collection, "undo", "reader", options());
    assertTrue(reader.tryRLock(), "connected and set up before the fault");
    reader.rUnlock();
    network.loseNextReplies(3);
    Duration bound = Duration.ofSeconds(2);
    long start = System.nanoTime();
    String outcome;
    try {
      outcome = reader.tryRLock(bound) ? "acquired" : "not acquired";
    } catch (MongoLockException e) {
      outcome = e.getClass().getSimpleName();
    }
    long tookMs = millisSince(start);
    System.out.printf(
        "[bounds] tryRLock(%d ms) whose attempts lost their replies returned (%s) after %d ms"
            + " (commandTimeout %d ms)%n",
        bound.toMillis(), outcome, tookMs, COMMAND_TIMEOUT.toMillis());
    assertTrue(lost.get() >= 3, "the replies were lost: " + lost.get());
    assertTrue(
        tookMs < bound.toMillis() + MARGIN_MS,
        "tryRLock(" + bound.toMillis() + " ms) returned after " + tookMs + " ms (" + outcome + ")");
  }

  @Test
  void anUnlockTakesAtMostTheCommandTimeoutBehindASlowNetwork() throws Exception {
    Duration commandTimeout = Duration.ofSeconds(4);
    RWMutex holder =
        new RWMutex(
            runtime,
            locksViaProxy,
            "slow",
            "holder",
            fast().toBuilder().commandTimeout(commandTimeout).build());
    holder.lock();
    // another client waits for the write lock and marks it: the release cannot simply delete
    RWMutex waiter = new RWMutex(locks, "slow", "waiter", fast());
    CompletableFuture<Boolean> waited =
        LockTestSupport.onThread(
            "waiter",
            () -> {
              boolean acquired = waiter.tryLock(Duration.ofSeconds(60));
              if (acquired) {
                waiter.unlock();
              }
              return acquired;
            });
    assertTrue(
        eventually(() -> "waiter".equals(waitingMark(locks, "slow")), 10_000),
        "the waiting writer marked the lock");
    // each command's round trip takes 3.8 s, within the 4 s commandTimeout
    proxy.delay(Duration.ofMillis(1_900));
    long start = System.nanoTime();
    String outcome = "ok";
    try {
      holder.unlock();
    } catch (MongoLockException e) {
      outcome = e.getClass().getSimpleName();
    }
    long tookMs = millisSince(start);
    proxy.clear();
    System.out.printf(
        "[bounds] unlock behind a 1.9 s delay each way returned (%s) after %d ms (commandTimeout"
            + " %d ms)%n",
        outcome, tookMs, commandTimeout.toMillis());
    assertTrue(waited.get(60, TimeUnit.SECONDS), "the waiter gets the lock");
    assertTrue(
        tookMs < commandTimeout.toMillis() + 2_500,
        "unlock (commandTimeout " + commandTimeout.toMillis() + " ms) took " + tookMs + " ms");
  }
}
