package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.await;
import static io.github.mongolock.LockTestSupport.awaitBlocked;
import static io.github.mongolock.LockTestSupport.eventually;
import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.onThread;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.FaultProxy;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a runtime's {@link LockListener}s are told: each acquire as a started/outcome pair, each
 * hold ended once by its own unlock (last in, first out per thread), losses, renewals; and that a
 * listener cannot change what the lock does.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LockListenerTest {

  private static final String LOCK = "listened";

  private MongoCollection<Document> locks;
  private String namespace;
  private LockRuntime runtime;
  private Recorder recorder;

  @BeforeEach
  void start(MongoDatabase db) {
    locks = freshCollection(db);
    namespace = locks.getNamespace().getFullName();
    runtime = LockRuntime.create();
    recorder = new Recorder();
    runtime.addListener(recorder);
  }

  @AfterEach
  void stop() {
    runtime.close();
  }

  private RWMutex mutex(String client) {
    return mutex(client, fast());
  }

  private RWMutex mutex(String client, RWMutexOptions options) {
    return new RWMutex(runtime, locks, LOCK, client, options);
  }

  /** A client of another runtime, which nobody listens to. */
  private RWMutex outsider(String client) {
    return new RWMutex(locks, LOCK, client, fast());
  }

  /**
   * Records every call in one list of words: {@code started#n WRITE}, {@code acquired#n}, {@code
   * notAcquired#n TIMEOUT}, {@code ended#n RELEASED}, {@code lost WRITE}; the n-th acquire's watch
   * and hold watch carry n. Renewals go to lists of their own (they come from the heartbeat, at its
   * pace).
   */
  static final class Recorder implements LockListener {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final List<LockEvent> locks = Collections.synchronizedList(new ArrayList<>());
    final Map<Integer, Throwable> causes = new ConcurrentHashMap<>();
    final Map<String, Thread> threads = new ConcurrentHashMap<>();
    final List<String> reasons = Collections.synchronizedList(new ArrayList<>());
    final List<String> renewals = Collections.synchronizedList(new ArrayList<>());
    final List<String> renewalFailures = Collections.synchronizedList(new ArrayList<>());
    final List<Throwable> renewalCauses = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger acquires = new AtomicInteger();

    private void record(String event) {
      events.add(event);
      threads.put(event, Thread.currentThread());
    }

    @Override
    public AcquireWatch acquireStarted(LockEvent lock) {
      int n = acquires.incrementAndGet();
      locks.add(lock);
      record("started#" + n + " " + lock.mode());
      return new AcquireWatch() {
        @Override
        public HoldWatch acquired() {
          record("acquired#" + n);
          return new HoldWatch() {
            @Override
            public void ended(HoldEnd end, Throwable cause) {
              record("ended#" + n + " " + end);
              if (cause != null) {
                causes.put(n, cause);
              }
            }
          };
        }

        @Override
        public void notAcquired(AcquireOutcome outcome, Throwable cause) {
          record("notAcquired#" + n + " " + outcome);
          if (cause != null) {
            causes.put(n, cause);
          }
        }
      };
    }

    @Override
    public void lost(LockEvent lock, String reason) {
      locks.add(lock);
      reasons.add(reason);
      record("lost " + lock.mode());
    }

    @Override
    public void renewed(String collection, int leases) {
      renewals.add(collection + " " + leases);
    }

    @Override
    public void renewalFailed(String collection, int leases, Throwable cause) {
      renewalFailures.add(collection + " " + leases);
      renewalCauses.add(cause);
    }

    List<String> events() {
      synchronized (events) {
        return List.copyOf(events);
      }
    }
  }

  // ------------------------------------------------------------------------------- acquire

  @Test
  void anAcquireAndItsReleaseAreReportedInOrderInBothModes() {
    // what MongoDB shows at each call: nothing asked before started, held at acquired, gone at end
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    runtime.addListener(
        new LockListener() {
          @Override
          public AcquireWatch acquireStarted(LockEvent lock) {
            seen.add("started: " + describe(storedRaw(locks, LOCK)));
            return new AcquireWatch() {
              @Override
              public HoldWatch acquired() {
                seen.add("acquired: " + describe(storedRaw(locks, LOCK)));
                return new HoldWatch() {
                  @Override
                  public void ended(HoldEnd end, Throwable cause) {
                    seen.add("ended: " + describe(storedRaw(locks, LOCK)));
                  }
                };
              }
            };
          }
        });
    RWMutex writer = mutex("w");
    writer.lock();
    writer.unlock();
    RWMutex reader = mutex("r");
    reader.rLock();
    reader.rUnlock();

    assertEquals(
        List.of(
            "started#1 WRITE",
            "acquired#1",
            "ended#1 RELEASED",
            "started#2 READ",
            "acquired#2",
            "ended#2 RELEASED"),
        recorder.events());
    assertEquals(
        List.of(
            new LockEvent(LOCK, LOCK, "w", LockMode.WRITE, namespace),
            new LockEvent(LOCK, LOCK, "r", LockMode.READ, namespace)),
        recorder.locks);
    assertEquals(
        List.of(
            "started: none",
            "acquired: writer w",
            "ended: none",
            "started: none",
            "acquired: readers [r]",
            "ended: none"),
        seen);
    for (String event : recorder.events()) {
      assertSame(Thread.currentThread(), recorder.threads.get(event), event + " on the caller");
    }
    assertTrue(recorder.causes.isEmpty(), "no cause for a release: " + recorder.causes);
  }

  private static String describe(Document doc) {
    if (doc == null) {
      return "none";
    }
    String writer = doc.getString("writer");
    return writer != null && !writer.isEmpty()
        ? "writer " + writer
        : "readers " + doc.getList("readers", String.class);
  }

  @Test
  void everyAcquireMethodIsReportedOnceAndHandlesEndTheirHolds() {
    RWMutex m = mutex("c");
    // the lock is free: the timed calls' bounds only need to outlast one MongoDB round trip on a
    // loaded machine, and are not what the test checks
    assertTrue(m.tryLock());
    m.unlock();
    assertTrue(m.tryLock(Duration.ofSeconds(10)));
    m.unlock();
    m.lock(Duration.ofSeconds(10));
    m.unlock();
    try (LockHandle h = m.acquireWrite()) {
      assertTrue(h.isHeld());
    }
    try (LockHandle h = m.acquireWrite(Duration.ofSeconds(10))) {
      assertTrue(h.isHeld());
    }
    assertTrue(m.tryRLock());
    m.rUnlock();
    assertTrue(m.tryRLock(Duration.ofSeconds(10)));
    m.rUnlock();
    m.rLock(Duration.ofSeconds(10));
    m.rUnlock();
    try (LockHandle h = m.acquireRead()) {
      assertTrue(h.isHeld());
    }
    try (LockHandle h = m.acquireRead(Duration.ofSeconds(10))) {
      assertTrue(h.isHeld());
    }
    List<String> expected = new ArrayList<>();
    for (int n = 1; n <= 10; n++) {
      expected.add("started#" + n + " " + (n <= 5 ? "WRITE" : "READ"));
      expected.add("acquired#" + n);
      expected.add("ended#" + n + " RELEASED");
    }
    assertEquals(expected, recorder.events());
  }

  @Test
  void nestedHoldsEndLastInFirstOut() {
    RWMutex m = mutex("c");
    m.lock();
    m.lock();
    m.rLock(); // a downgrade: a hold of the other mode, with its own watch
    m.unlock();
    m.rUnlock();
    m.unlock();
    assertEquals(
        List.of(
            "started#1 WRITE",
            "acquired#1",
            "started#2 WRITE",
            "acquired#2",
            "started#3 READ",
            "acquired#3",
            "ended#2 RELEASED",
            "ended#3 RELEASED",
            "ended#1 RELEASED"),
        recorder.events());
    assertNull(storedRaw(locks, LOCK));
  }

  @Test
  void readersOfOneClientOnSeveralThreadsEachEndTheirOwnHolds() {
    RWMutex m = mutex("c");
    CountDownLatch otherHolds = new CountDownLatch(1);
    CountDownLatch mainReleased = new CountDownLatch(1);
    m.rLock(); // #1, in MongoDB
    CompletableFuture<Void> other =
        onThread(
            "other-reader",
            () -> {
              m.rLock(); // #2, joins the client's hold
              m.rLock(); // #3, re-entry
              otherHolds.countDown();
              try {
                assertTrue(mainReleased.await(30, TimeUnit.SECONDS));
              } catch (InterruptedException e) {
                throw new AssertionError(e);
              }
              m.rUnlock();
              m.rUnlock();
            });
    try {
      assertTrue(otherHolds.await(30, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    m.rUnlock(); // ends #1, the main thread's, though the other thread's holds are newer
    List<String> afterMain = recorder.events();
    mainReleased.countDown();
    await(other);
    assertEquals("ended#1 RELEASED", afterMain.get(afterMain.size() - 1), "" + afterMain);
    List<String> events = recorder.events();
    assertEquals(
        List.of("ended#1 RELEASED", "ended#3 RELEASED", "ended#2 RELEASED"),
        events.stream().filter(e -> e.startsWith("ended")).toList());
    assertEquals("other-reader", recorder.threads.get("ended#3 RELEASED").getName());
    assertNull(storedRaw(locks, LOCK));
  }

  @Test
  void aFalseTryLockIsATimeoutWithoutCause() {
    RWMutex holder = outsider("holder");
    holder.lock();
    RWMutex m = mutex("c");
    assertFalse(m.tryLock());
    assertFalse(m.tryLock(Duration.ofMillis(50)));
    assertFalse(m.tryRLock(Duration.ofMillis(50)));
    holder.unlock();
    assertEquals(
        List.of(
            "started#1 WRITE",
            "notAcquired#1 TIMEOUT",
            "started#2 WRITE",
            "notAcquired#2 TIMEOUT",
            "started#3 READ",
            "notAcquired#3 TIMEOUT"),
        recorder.events());
    assertTrue(recorder.causes.isEmpty(), "a false return has no cause: " + recorder.causes);
  }

  @Test
  void aLockTimeoutExceptionIsATimeoutWithThatException() {
    RWMutex holder = outsider("holder");
    holder.lock();
    RWMutex m = mutex("c");
    LockTimeoutException write =
        assertThrows(LockTimeoutException.class, () -> m.lock(Duration.ofMillis(50)));
    LockTimeoutException handle =
        assertThrows(LockTimeoutException.class, () -> m.acquireRead(Duration.ofMillis(50)));
    holder.unlock();
    assertEquals(
        List.of(
            "started#1 WRITE", "notAcquired#1 TIMEOUT", "started#2 READ", "notAcquired#2 TIMEOUT"),
        recorder.events());
    assertSame(write, recorder.causes.get(1));
    assertSame(handle, recorder.causes.get(2));
  }

  @Test
  void anUpgradeIsRefusedAsUpgrade() {
    RWMutex m = mutex("c");
    m.rLock();
    LockUpgradeException e = assertThrows(LockUpgradeException.class, m::lock);
    m.rUnlock();
    assertEquals(
        List.of(
            "started#1 READ",
            "acquired#1",
            "started#2 WRITE",
            "notAcquired#2 UPGRADE",
            "ended#1 RELEASED"),
        recorder.events());
    assertSame(e, recorder.causes.get(2));
  }

  @Test
  void anInterruptedWaitIsInterrupted() {
    RWMutex holder = outsider("holder");
    holder.lock();
    AtomicReference<Thread> waiter = new AtomicReference<>();
    CompletableFuture<Void> waiting =
        onThread(
            "interrupted-waiter",
            () -> {
              waiter.set(Thread.currentThread());
              mutex("c").lock();
            });
    awaitBlocked("interrupted-waiter");
    waiter.get().interrupt();
    LockInterruptedException e = assertThrows(LockInterruptedException.class, () -> await(waiting));
    holder.unlock();
    assertEquals(List.of("started#1 WRITE", "notAcquired#1 INTERRUPTED"), recorder.events());
    assertSame(e, recorder.causes.get(1));
    assertSame(waiter.get(), recorder.threads.get("notAcquired#1 INTERRUPTED"));
  }

  @Test
  void anyOtherFailureIsAnError() {
    RWMutex m = mutex("c");
    runtime.close(); // refuses new acquires
    IllegalStateException e = assertThrows(IllegalStateException.class, m::tryLock);
    assertEquals(List.of("started#1 WRITE", "notAcquired#1 ERROR"), recorder.events());
    assertSame(e, recorder.causes.get(1));
  }

  /** A listener that opens a thread-local scope at the start of an acquire, as observations do. */
  private static LockListener scoping(String name, Deque<String> scopes, List<String> misnested) {
    return new LockListener() {
      @Override
      public AcquireWatch acquireStarted(LockEvent lock) {
        scopes.push(name);
        return new AcquireWatch() {
          @Override
          public HoldWatch acquired() {
            close();
            return HoldWatch.NONE;
          }

          @Override
          public void notAcquired(AcquireOutcome outcome, Throwable cause) {
            close();
          }

          private void close() {
            String top = scopes.pop();
            if (!top.equals(name)) {
              misnested.add(name + " closed while " + top + " was innermost");
            }
          }
        };
      }
    };
  }

  @Test
  void watchesAreToldTheOutcomeInTheReverseOrderOfTheirStartsAsNestedScopes() {
    Deque<String> scopes = new ArrayDeque<>();
    List<String> misnested = new ArrayList<>();
    runtime.addListener(scoping("outer", scopes, misnested));
    runtime.addListener(scoping("inner", scopes, misnested));
    RWMutex m = mutex("c");
    m.lock(); // granted: acquired()
    assertFalse(await(onThread("other", () -> mutex("d").tryLock())), "held: notAcquired()");
    m.unlock();
    assertEquals(List.of(), misnested);
    assertEquals(0, scopes.size(), "every scope closed");
  }

  @Test
  void theNameOptionIsTheLockName() {
    RWMutex named =
        new RWMutex(runtime, locks, "order-4711", "c", fast().toBuilder().name("order").build());
    named.lock();
    named.unlock();
    assertEquals(
        new LockEvent("order", "order-4711", "c", LockMode.WRITE, namespace),
        recorder.locks.get(0));
  }

  @Test
  void aHandleClosedOnAnotherThreadEndsItsWatchThere() {
    LockHandle handle = mutex("c").acquireWrite();
    await(onThread("closer", handle::close));
    assertEquals(List.of("started#1 WRITE", "acquired#1", "ended#1 RELEASED"), recorder.events());
    assertEquals("closer", recorder.threads.get("ended#1 RELEASED").getName());
    assertNull(storedRaw(locks, LOCK));
  }

  @Test
  void aHandleClosedOutOfOrderEndsItsOwnHoldsWatch() {
    RWMutex m = mutex("c");
    LockHandle outer = m.acquireRead(); // #1
    LockHandle inner = m.acquireRead(); // #2
    outer.close(); // handles may be closed in any order: the hold that ends is the handle's
    assertEquals("ended#1 RELEASED", last(recorder.events()));
    inner.close();
    assertEquals("ended#2 RELEASED", last(recorder.events()));

    LockHandle handed = m.acquireWrite(); // #3
    m.lock(); // #4, a newer hold of the same thread and mode
    await(onThread("closer", handed::close));
    assertEquals("ended#3 RELEASED", last(recorder.events()));
    assertTrue(m.isWriteLockedByCurrentThread(), "the owner's newer hold stays");
    m.unlock();
    assertEquals("ended#4 RELEASED", last(recorder.events()));
    assertNull(storedRaw(locks, LOCK));
  }

  // ------------------------------------------------------------------------------- listeners

  @Test
  void aThrowingListenerChangesNoOutcome() {
    runtime.removeListener(recorder);
    AtomicInteger calls = new AtomicInteger();
    runtime.addListener(
        new LockListener() {
          @Override
          public AcquireWatch acquireStarted(LockEvent lock) {
            calls.incrementAndGet();
            if (lock.mode() == LockMode.READ) {
              throw new IllegalStateException("listener bug in acquireStarted");
            }
            return new AcquireWatch() {
              @Override
              public HoldWatch acquired() {
                calls.incrementAndGet();
                return new HoldWatch() {
                  @Override
                  public void ended(HoldEnd end, Throwable cause) {
                    calls.incrementAndGet();
                    throw new IllegalStateException("listener bug in ended");
                  }
                };
              }

              @Override
              public void notAcquired(AcquireOutcome outcome, Throwable cause) {
                calls.incrementAndGet();
                throw new IllegalStateException("listener bug in notAcquired");
              }
            };
          }

          @Override
          public void lost(LockEvent lock, String reason) {
            calls.incrementAndGet();
            throw new IllegalStateException("listener bug in lost");
          }
        });
    runtime.addListener(recorder); // after the throwing one: still told everything
    RWMutex m = mutex("c");
    m.lock();
    assertTrue(m.isWriteLockedByCurrentThread());
    m.unlock();
    assertNull(storedRaw(locks, LOCK));
    m.rLock();
    assertTrue(m.isReadLockedByCurrentThread());
    m.rUnlock();
    RWMutex holder = outsider("holder");
    holder.lock();
    assertFalse(m.tryLock(), "a refusal stays a refusal");
    assertThrows(LockTimeoutException.class, () -> m.lock(Duration.ofMillis(20)));
    holder.unlock();
    m.lock();
    runtime.close(); // the loss reaches the recorder past the throwing listener
    assertThrows(LockLostException.class, m::unlock, "the unlock of a lost hold still throws");
    // started, acquired, ended; started (throws: no watch); started, notAcquired twice; started,
    // acquired; lost; ended
    assertEquals(12, calls.get(), "the throwing listener was called each time");
    assertEquals(
        List.of(
            "started#1 WRITE",
            "acquired#1",
            "ended#1 RELEASED",
            "started#2 READ",
            "acquired#2",
            "ended#2 RELEASED",
            "started#3 WRITE",
            "notAcquired#3 TIMEOUT",
            "started#4 WRITE",
            "notAcquired#4 TIMEOUT",
            "started#5 WRITE",
            "acquired#5",
            "lost WRITE",
            "ended#5 LOST"),
        recorder.events());
  }

  /**
   * A listener that throws an Error, as a metrics binding run against a Micrometer it was not
   * compiled for does (NoSuchMethodError) or a test probe does (AssertionError): a granted acquire
   * that threw it would leave the lock held with nobody to release it, and an Error out of the
   * heartbeat or the lease watch would cancel that periodic task for good.
   */
  @Test
  void aListenerThrowingAnErrorNeitherLeaksTheHoldNorStopsTheHeartbeat() {
    runtime.removeListener(recorder);
    runtime.addListener(
        new LockListener() {
          @Override
          public AcquireWatch acquireStarted(LockEvent lock) {
            return new AcquireWatch() {
              @Override
              public HoldWatch acquired() {
                throw new NoSuchMethodError("listener linked against another Micrometer");
              }
            };
          }

          @Override
          public void renewed(String collection, int leases) {
            throw new AssertionError("listener bug in renewed");
          }

          @Override
          public void lost(LockEvent lock, String reason) {
            throw new AssertionError("listener bug in lost");
          }
        });
    runtime.addListener(recorder);
    // a lease a stalled JVM (GC, two busy cores) does not lose by itself: with renewals every
    // 100 ms, the watch gives a hold up only after a pause longer than the lease less one renewal
    // interval and one watch period (at most 100 ms), 1.8 s here (by the keeper's rule, not
    // measured)
    Duration lease = Duration.ofSeconds(2);
    RWMutexOptions leased =
        fast().toBuilder().leaseTime(lease).renewInterval(Duration.ofMillis(100)).build();
    RWMutex a = new RWMutex(runtime, locks, "a", "c", leased);
    RWMutex b = new RWMutex(runtime, locks, "b", "c", leased);

    a.lock(); // granted: the listener's Error must not make it look refused
    long lockedAt = System.nanoTime();
    assertTrue(a.isWriteLockedByCurrentThread());
    b.lock();
    // renewals go on past the throwing listener: the holds outlive several lease times
    assertTrue(
        eventually(() -> recorder.renewals.size() >= 3, 10_000), "renewed: " + recorder.renewals);
    long threeLeases =
        TimeUnit.NANOSECONDS.toMillis(lockedAt - System.nanoTime()) + 3 * lease.toMillis();
    if (threeLeases > 0) {
      LockTestSupport.sleep(threeLeases); // the time under test, not a synchronisation
    }
    int renewedBefore = recorder.renewals.size();
    assertTrue(
        eventually(() -> recorder.renewals.size() > renewedBefore, 10_000),
        "still renewing three lease times on: " + recorder.renewals);
    assertTrue(a.isWriteLockedByCurrentThread() && b.isWriteLockedByCurrentThread());
    assertFalse(recorder.events().contains("lost WRITE"), "" + recorder.events());

    // both leases run out in one pass of the lease watch: the first loss's Error must not keep
    // the second from being declared
    List<String> lost = Collections.synchronizedList(new ArrayList<>());
    a.addLockLostListener((lockID, clientID, mode) -> lost.add(lockID));
    b.addLockLostListener((lockID, clientID, mode) -> lost.add(lockID));
    a.suspendHeartbeat(true); // one keeper renews both
    try {
      assertTrue(eventually(() -> lost.size() == 2, 10_000), "both declared lost: " + lost);
    } finally {
      a.suspendHeartbeat(false);
    }
    assertThrows(LockLostException.class, a::unlock);
    assertThrows(LockLostException.class, b::unlock);
    assertEquals(
        2,
        recorder.events().stream().filter("lost WRITE"::equals).count(),
        "the recorder, after the throwing listener, was told both: " + recorder.events());
  }

  @Test
  void aNullListenerIsRefusedAlikeWhenAddedAndWhenRemoved() {
    assertEquals(
        "listener is null",
        assertThrows(IllegalArgumentException.class, () -> runtime.addListener(null)).getMessage());
    assertEquals(
        "listener is null",
        assertThrows(IllegalArgumentException.class, () -> runtime.removeListener(null))
            .getMessage());
  }

  @Test
  void aRemovedListenerIsToldNothingNewButItsOpenHoldsStillEnd() {
    RWMutex m = mutex("c");
    m.lock(); // #1, watched
    runtime.removeListener(recorder);
    m.lock(); // not watched
    m.unlock(); // ends the unwatched hold: nothing reported
    assertEquals(List.of("started#1 WRITE", "acquired#1"), recorder.events());
    m.unlock();
    assertEquals(List.of("started#1 WRITE", "acquired#1", "ended#1 RELEASED"), recorder.events());
    m.lock();
    m.unlock();
    assertEquals(3, recorder.events().size(), "nothing after removal: " + recorder.events());

    // the other way round: an unwatched hold under watched ones ends unreported
    m.rLock();
    runtime.addListener(recorder);
    m.rLock(); // #2
    m.rUnlock();
    assertEquals("ended#2 RELEASED", last(recorder.events()));
    m.rUnlock();
    assertEquals("ended#2 RELEASED", last(recorder.events()), "the outer hold had no watch");
    assertNull(storedRaw(locks, LOCK));
  }

  private static String last(List<String> events) {
    return events.get(events.size() - 1);
  }

  // ------------------------------------------------------------------------------- losses

  @Test
  void aLostHoldIsReportedAndItsUnlockEndsItsWatchAsLost() {
    RWMutex paused =
        mutex(
            "paused",
            fast().toBuilder()
                .leaseTime(Duration.ofMillis(800))
                .renewInterval(Duration.ofMillis(200))
                .build());
    CountDownLatch told = new CountDownLatch(1);
    paused.addLockLostListener((lockID, clientID, mode) -> told.countDown());
    try (MisuseTest.CapturedLogs logs = new MisuseTest.CapturedLogs()) {
      paused.lock();
      paused.suspendHeartbeat(true);
      try {
        assertTrue(told.await(5, TimeUnit.SECONDS), "the lease ran out");
        assertTrue(
            eventually(() -> recorder.events().contains("lost WRITE"), 5_000),
            "" + recorder.events());
        LockLostException e = assertThrows(LockLostException.class, paused::unlock);
        assertEquals(
            List.of("started#1 WRITE", "acquired#1", "lost WRITE", "ended#1 LOST"),
            recorder.events());
        assertSame(e, recorder.causes.get(1));
        assertEquals(new LockEvent(LOCK, LOCK, "paused", LockMode.WRITE, namespace), lastLock());
        assertTrue(recorder.reasons.get(0).contains("lease"), recorder.reasons.get(0));
      } finally {
        paused.suspendHeartbeat(false);
      }
      List<String> warnings =
          logs.lines().stream()
              .filter(l -> l.contains(" WARN ") && l.contains("io.github.mongolock"))
              .filter(l -> l.contains("lock " + LOCK + " "))
              .toList();
      assertEquals(1, warnings.size(), "one warning, for the one mode lost: " + warnings);
      String warning = warnings.get(0);
      for (String part : List.of(LOCK, "paused", "write", recorder.reasons.get(0))) {
        assertTrue(warning.contains(part), part + " in " + warning);
      }
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private LockEvent lastLock() {
    return recorder.locks.get(recorder.locks.size() - 1);
  }

  @Test
  void closingTheRuntimeReportsItsHoldsLostOncePerMode() {
    RWMutex m = mutex("c");
    m.lock();
    m.rLock(); // a downgrade: both modes held
    runtime.close();
    assertThrows(LockLostException.class, m::rUnlock);
    assertThrows(LockLostException.class, m::unlock);
    assertEquals(
        List.of(
            "started#1 WRITE",
            "acquired#1",
            "started#2 READ",
            "acquired#2",
            "lost WRITE",
            "lost READ",
            "ended#2 LOST",
            "ended#1 LOST"),
        recorder.events());
    assertEquals(
        List.of("the lock runtime was closed", "the lock runtime was closed"), recorder.reasons);
  }

  // ------------------------------------------------------------------------------- renewals

  @Test
  void renewalsAreReportedWithTheirLeaseCounts(MongoDatabase db) {
    // renewed every 100 ms; the 3 s lease keeps a stalled JVM (GC, two busy cores) from losing
    // the holds the test keeps, which would fail the unlocks below
    RWMutexOptions leased =
        fast().toBuilder()
            .leaseTime(Duration.ofSeconds(3))
            .renewInterval(Duration.ofMillis(100))
            .build();
    RWMutex a = new RWMutex(runtime, locks, "a", "c", leased);
    RWMutex b = new RWMutex(runtime, locks, "b", "c", leased);
    a.lock();
    b.rLock();
    assertTrue(
        eventually(() -> recorder.renewals.contains(namespace + " 2"), 10_000),
        "one renewal of both leases: " + recorder.renewals);
    b.rUnlock();
    recorder.renewals.clear();
    assertTrue(
        eventually(() -> recorder.renewals.contains(namespace + " 1"), 10_000),
        "then of the one left: " + recorder.renewals);
    a.unlock();
    assertTrue(recorder.renewalFailures.isEmpty(), "" + recorder.renewalFailures);
    // nothing held, nothing renewed (the heartbeat stops): wait for the stop itself, then let a
    // renewal sent before the unlock report, then watch three renewal intervals for more
    assertTrue(eventually(() -> !a.leaseKeeper().isScheduled(), 10_000), "the heartbeat stopped");
    LockTestSupport.sleep(300);
    recorder.renewals.clear();
    LockTestSupport.sleep(300);
    assertEquals(List.of(), recorder.renewals);
    assertFalse(a.leaseKeeper().isScheduled(), "and stays stopped");
  }

  @Test
  void aRenewalThatCannotReachMongoDbIsReportedAndLogged(MongoDatabase db, TestMongo mongo) {
    // a lease that a stalled JVM keeps until the proxy cuts it off: lost earlier, by the watch,
    // the hold would have no failed renewal to report
    RWMutexOptions shortLease =
        fast().toBuilder()
            .leaseTime(Duration.ofSeconds(3))
            .renewInterval(Duration.ofMillis(300))
            .build();
    try (FaultProxy proxy = FaultProxy.inFrontOf(mongo);
        MongoClient client = MongoClients.create(proxy.uri("retryWrites=false&retryReads=false"));
        MisuseTest.CapturedLogs logs = new MisuseTest.CapturedLogs()) {
      MongoCollection<Document> viaProxy =
          client.getDatabase(db.getName()).getCollection(locks.getNamespace().getCollectionName());
      RWMutex m = new RWMutex(runtime, viaProxy, "cut-off", "c", shortLease);
      m.lock();
      assertTrue(
          eventually(() -> recorder.renewals.contains(namespace + " 1"), 10_000),
          "renewed while connected");
      proxy.refuseConnections(Duration.ofSeconds(10));
      assertTrue(
          eventually(() -> !recorder.renewalFailures.isEmpty(), 10_000),
          "the failed renewal is reported");
      assertEquals(namespace + " 1", recorder.renewalFailures.get(0));
      assertNotNull(recorder.renewalCauses.get(0));
      assertTrue(
          eventually(() -> recorder.events().contains("lost WRITE"), 10_000),
          "and then the hold lost: " + recorder.events());
      proxy.clear();
      assertThrows(LockLostException.class, m::unlock);
      assertEquals("ended#1 LOST", last(recorder.events()));
      List<String> warnings =
          logs.lines().stream()
              .filter(l -> l.contains(" WARN ") && l.contains("io.github.mongolock"))
              .toList();
      assertTrue(
          warnings.stream()
              .anyMatch(l -> l.contains("renewing the leases") && l.contains(namespace)),
          "the renewal failure is a warning: " + warnings);
      assertTrue(
          warnings.stream().anyMatch(l -> l.contains("cut-off") && l.contains("was lost")),
          "the loss is a warning: " + warnings);
    }
  }

  // ------------------------------------------------------------------------------- logging

  @Test
  void ordinaryContentionLogsNothingAboveDebug() {
    try (MisuseTest.CapturedLogs logs = new MisuseTest.CapturedLogs()) {
      RWMutex holder = mutex("holder");
      RWMutex waiter = mutex("waiter");
      holder.lock();
      assertFalse(waiter.tryLock());
      assertFalse(waiter.tryRLock(Duration.ofMillis(100)));
      assertThrows(LockTimeoutException.class, () -> waiter.lock(Duration.ofMillis(100)));
      CompletableFuture<Void> queued = onThread("queued", () -> waiter.lock());
      awaitBlocked("queued");
      holder.unlock();
      await(queued);
      // only this test's lines: the heartbeats of other test classes' runtimes share the JVM
      // (one renewing through a client that its test closed logs a WARN at any moment)
      List<String> loud =
          logs.lines().stream()
              .filter(l -> l.contains("io.github.mongolock"))
              .filter(l -> l.contains(namespace) || l.contains(LOCK))
              .filter(l -> l.contains(" INFO ") || l.contains(" WARN ") || l.contains(" ERROR "))
              .toList();
      assertEquals(List.of(), loud);
    }
  }

  // ------------------------------------------------------------------------------- held locks

  @Test
  void heldLocksListsThisRuntimesOpenHolds() {
    assertEquals(List.of(), runtime.heldLocks());
    RWMutex writer = new RWMutex(runtime, locks, "w", "c1", fast());
    writer.lock();
    writer.lock();
    RWMutex reader = new RWMutex(runtime, locks, "r", "c2", fast());
    reader.rLock();
    await(onThread("second-reader", () -> reader.rLock())); // joins, and keeps its hold
    outsider("elsewhere").rLock(); // another runtime's hold is not this one's

    assertEquals(
        Set.of(
            new HeldLock("w", "c1", LockMode.WRITE, namespace, 2),
            new HeldLock("r", "c2", LockMode.READ, namespace, 2)),
        Set.copyOf(runtime.heldLocks()));
    assertThrows(UnsupportedOperationException.class, () -> runtime.heldLocks().clear());

    writer.rLock(); // a downgrade: listed once per mode
    assertTrue(
        runtime.heldLocks().contains(new HeldLock("w", "c1", LockMode.READ, namespace, 1)),
        "" + runtime.heldLocks());
    writer.rUnlock();
    writer.unlock();
    writer.unlock();
    reader.rUnlock();
    assertEquals(
        List.of(new HeldLock("r", "c2", LockMode.READ, namespace, 1)), runtime.heldLocks());

    runtime.close(); // the remaining hold is lost: no longer listed
    assertEquals(List.of(), runtime.heldLocks());
    outsider("elsewhere").rUnlock();
  }

  @Test
  void aHeldLockIsValidated() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new HeldLock("l", "c", LockMode.WRITE, "db.locks", 0));
    assertTrue(e.getMessage().contains("lock: l") && e.getMessage().contains("client: c"));
    assertThrows(IllegalArgumentException.class, () -> new HeldLock("l", "c", null, "db.locks", 1));
  }
}
