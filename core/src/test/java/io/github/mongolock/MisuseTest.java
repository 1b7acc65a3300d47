package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.await;
import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.onThread;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientException;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoNamespace;
import com.mongodb.MongoWriteException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.stream.Stream;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input and misuse of the API: each case gets a clear exception that names the lock and the
 * client ({@link IllegalArgumentException} for bad arguments, {@link IllegalStateException} for a
 * call in the wrong state where the API says so, a {@link MongoLockException} otherwise), and
 * nothing is written that should not be.
 */
@ExtendWith(MongoExtension.class)
class MisuseTest {

  private MongoDatabase db;
  private MongoCollection<Document> locks;

  @BeforeEach
  void freshLocks(MongoDatabase db) {
    this.db = db;
    locks = freshCollection(db);
  }

  // ------------------------------------------------------------------------------- helpers

  private RWMutex mutex(String lockID, String clientID) {
    return new RWMutex(locks, lockID, clientID, fast());
  }

  private List<Document> everything() {
    return locks.find().into(new ArrayList<>());
  }

  /** Not even the collection (or its indexes) was created. */
  private void assertCollectionNeverCreated() {
    assertFalse(
        db.listCollectionNames()
            .into(new ArrayList<>())
            .contains(locks.getNamespace().getCollectionName()),
        "the collection was created");
  }

  /** The message names both; for the library's exceptions the accessors say the same. */
  private static void assertNames(Throwable e, String lockID, String clientID) {
    String m = e.getMessage();
    assertTrue(m != null && m.contains(lockID), "names the lock " + lockID + ": " + m);
    assertTrue(m.contains(clientID), "names the client " + clientID + ": " + m);
    if (e instanceof MongoLockException l) {
      assertEquals(lockID, l.lockID());
      assertEquals(clientID, l.clientID());
    }
  }

  // ------------------------------------------------------------------------------- IDs

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "\t\n", "\u2003"})
  void nullAndBlankLockIDsAreRefusedBeforeAnythingIsWritten(String lockID) {
    for (Executable construct :
        List.<Executable>of(
            () -> new RWMutex(locks, lockID, "client_1"),
            () -> new RWMutex(locks, lockID, "client_1", fast()),
            () -> new RWMutex(LockRuntime.shared(), locks, lockID, "client_1", fast()))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construct);
      assertTrue(e.getMessage().startsWith("lockID must not be null or blank"), e.getMessage());
      assertTrue(e.getMessage().contains("client_1"), e.getMessage());
    }
    assertCollectionNeverCreated();
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "\r\n"})
  void nullAndBlankClientIDsAreRefusedBeforeAnythingIsWritten(String clientID) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new RWMutex(locks, "lock_1", clientID));
    assertTrue(e.getMessage().startsWith("clientID must not be null or blank"), e.getMessage());
    assertTrue(e.getMessage().contains("lock_1"), e.getMessage());
    assertCollectionNeverCreated();
  }

  /**
   * IDs are stored as string values (never as field names, never inside {@code $expr}), so {@code
   * $}, {@code .} and NUL need no escaping: each is its own lock, stored verbatim, and one ID is
   * never taken for another that it resembles.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "$lock",
        "$$NOW",
        "$writer",
        "a.b.c",
        ".",
        "nul\u0000inside",
        "\u0000",
        "trailing\u0000",
        "{\"$ne\": \"\"}",
        "{\"$gt\": \"\"}",
        "{\"$exists\": true}"
      })
  void idsWithDollarDotNulOrOperatorTextAreStoredVerbatim(String id) {
    // an unrelated lock that an injected operator would match
    RWMutex other = mutex("plain", "owner");
    other.lock();
    Document plainBefore = storedRaw(locks, "plain");

    RWMutex asLock = mutex(id, "client_1");
    RWMutex asClient = mutex("lock_1", id);
    asLock.lock();
    asClient.lock();
    Document byLockID = storedRaw(locks, id);
    assertEquals(id, byLockID.get("lockID"));
    assertEquals(id, byLockID.get("_id"));
    assertEquals("client_1", byLockID.get("writer"));
    assertEquals(id, storedRaw(locks, "lock_1").get("writer"));

    // it excludes others and is excluded by them, as any lock
    assertFalse(mutex(id, "client_2").tryLock());
    assertFalse(mutex("lock_1", "client_2").tryRLock());
    // and the operator-looking client cannot release the unrelated lock
    LockNotHeldException notHeld =
        assertThrows(LockNotHeldException.class, () -> mutex("plain", id).unlock());
    assertNames(notHeld, "plain", id);
    assertEquals(plainBefore, storedRaw(locks, "plain"));

    asLock.unlock();
    asClient.unlock();
    assertNull(storedRaw(locks, id));
    assertNull(storedRaw(locks, "lock_1"));
    assertEquals(plainBefore, storedRaw(locks, "plain"));
    other.unlock();
    assertEquals(List.of(), everything());
  }

  /**
   * MongoDB compares strings by their UTF-8 bytes, without Unicode normalisation: "é" precomposed
   * and "e" with a combining accent are two locks, as they are two Java strings.
   */
  @Test
  void nonAsciiIDsAreStoredVerbatimAndNotNormalised() {
    String precomposed = "caf\u00e9";
    String combining = "cafe\u0301";
    String emoji = "\uD83D\uDD12-\u9501-\u0436"; // a padlock (surrogate pair), CJK, Cyrillic
    RWMutex a = mutex(precomposed, emoji);
    RWMutex b = mutex(combining, "client_2");
    a.lock();
    assertTrue(b.tryLock(), "a different lock, although it looks the same");
    assertEquals(emoji, storedRaw(locks, precomposed).get("writer"));
    assertEquals("client_2", storedRaw(locks, combining).get("writer"));
    RWMutex reader = mutex(emoji, precomposed);
    reader.rLock();
    assertEquals(List.of(precomposed), storedRaw(locks, emoji).get("readers"));
    a.unlock();
    b.unlock();
    reader.rUnlock();
    assertEquals(List.of(), everything());
  }

  // ------------------------------------------------------------------------------- unlock misuse

  @Test
  void unlockOfTheOtherModeFailsAndKeepsTheHold() {
    RWMutex writer = mutex("lock_1", "client_1");
    writer.lock();
    Document before = storedRaw(locks, "lock_1");
    LockNotHeldException e = assertThrows(LockNotHeldException.class, writer::rUnlock);
    // the seed's message, and what the thread does hold
    assertEquals(
        "lock lock_1 not currently held by client: client_1 in read mode (this thread holds the"
            + " write lock: unlock() releases it)",
        e.getMessage());
    assertNames(e, "lock_1", "client_1");
    assertTrue(writer.isWriteLockedByCurrentThread());
    assertEquals(before, storedRaw(locks, "lock_1"));
    writer.unlock();

    RWMutex reader = mutex("lock_2", "client_1");
    reader.rLock();
    before = storedRaw(locks, "lock_2");
    e = assertThrows(LockNotHeldException.class, reader::unlock);
    assertEquals(
        "lock lock_2 not currently held by client: client_1 in write mode (this thread holds the"
            + " read lock: rUnlock() releases it)",
        e.getMessage());
    assertNames(e, "lock_2", "client_1");
    assertTrue(reader.isReadLockedByCurrentThread());
    assertEquals(before, storedRaw(locks, "lock_2"));
    reader.rUnlock();
    assertEquals(List.of(), everything());
  }

  @Test
  void doubleUnlockFailsWithTheSeedMessageAndWritesNothing() {
    RWMutex m = mutex("lock_1", "client_1");
    m.lock();
    m.unlock();
    LockNotHeldException e = assertThrows(LockNotHeldException.class, m::unlock);
    assertEquals("lock lock_1 not currently held by client: client_1", e.getMessage());
    assertNames(e, "lock_1", "client_1");
    m.rLock();
    m.rUnlock();
    e = assertThrows(LockNotHeldException.class, m::rUnlock);
    assertEquals("lock lock_1 not currently held by client: client_1", e.getMessage());
    assertEquals(List.of(), everything());

    // a handle closes once; later closes do nothing
    LockHandle h = m.acquireWrite();
    h.close();
    h.close();
    assertFalse(h.isOpen());
    assertEquals(List.of(), everything());
  }

  @Test
  void doubleUnlockNeverReleasesTheNextHolder() {
    RWMutex first = mutex("lock_1", "client_1");
    first.lock();
    first.unlock();
    RWMutex next = mutex("lock_1", "client_2");
    next.lock();
    Document before = storedRaw(locks, "lock_1");
    assertThrows(LockNotHeldException.class, first::unlock);
    assertThrows(LockNotHeldException.class, first::rUnlock);
    assertEquals(before, storedRaw(locks, "lock_1"));
    assertTrue(next.isWriteLockedByCurrentThread());
    next.unlock();
  }

  @Test
  void unlockFromAnotherThreadSaysAnotherThreadOfTheClientHoldsIt() {
    RWMutex m = mutex("lock_1", "client_1");
    for (boolean write : new boolean[] {true, false}) {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch held = new CountDownLatch(1);
      CompletableFuture<Void> holder =
          onThread(
              "holder",
              () -> {
                if (write) {
                  m.lock();
                } else {
                  m.rLock();
                }
                held.countDown();
                try {
                  release.await();
                } catch (InterruptedException ie) {
                  throw new AssertionError(ie);
                }
                if (write) {
                  m.unlock();
                } else {
                  m.rUnlock();
                }
              });
      try {
        held.await();
      } catch (InterruptedException ie) {
        throw new AssertionError(ie);
      }
      Document before = storedRaw(locks, "lock_1");
      LockNotHeldException e =
          assertThrows(LockNotHeldException.class, write ? m::unlock : m::rUnlock);
      assertTrue(
          e.getMessage().contains("another thread of client client_1 holds it"), e.getMessage());
      assertNames(e, "lock_1", "client_1");
      assertEquals(before, storedRaw(locks, "lock_1"), "nothing written");
      release.countDown();
      await(holder);
    }
    assertEquals(List.of(), everything());
  }

  @Test
  void upgradeIsRefusedAtOnceAndKeepsTheReadHold() {
    RWMutex m = mutex("lock_1", "client_1");
    m.rLock();
    Document before = storedRaw(locks, "lock_1");
    LockUpgradeException e = assertThrows(LockUpgradeException.class, m::lock);
    assertNames(e, "lock_1", "client_1");
    assertTrue(m.isReadLockedByCurrentThread());
    assertEquals(before, storedRaw(locks, "lock_1"));
    m.rUnlock();
  }

  // ------------------------------------------------------------------------------- state

  @Test
  void fencingTokensNeedAWriteHold() {
    RWMutex m = mutex("lock_1", "client_1");
    IllegalStateException e = assertThrows(IllegalStateException.class, m::fencingToken);
    assertNames(e, "lock_1", "client_1");
    try (LockHandle read = m.acquireRead()) {
      e = assertThrows(IllegalStateException.class, read::fencingToken);
      assertNames(e, "lock_1", "client_1");
      e = assertThrows(IllegalStateException.class, m::fencingToken);
      assertNames(e, "lock_1", "client_1");
    }
    LockHandle write = m.acquireWrite();
    write.close();
    e = assertThrows(IllegalStateException.class, write::fencingToken);
    assertNames(e, "lock_1", "client_1");
    assertEquals(List.of(), everything(), "no fencing counter was created");
  }

  @Test
  void aClosedRuntimeRefusesAcquires() {
    LockRuntime runtime = LockRuntime.create();
    RWMutex m = new RWMutex(runtime, locks, "lock_1", "client_1", fast());
    runtime.close();
    for (Executable acquire :
        List.<Executable>of(
            m::lock, m::tryLock, m::rLock, () -> m.tryRLock(Duration.ofSeconds(1)))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, acquire);
      assertNames(e, "lock_1", "client_1");
    }
    assertCollectionNeverCreated();
  }

  /** Like the constructor's, as IllegalArgumentException (they were NullPointerExceptions). */
  @Test
  void nullArgumentsOfTheOtherMethodsAreRefusedNamingTheLockAndClient() {
    RWMutex m = mutex("lock_1", "client_1");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> m.conditionalOverrideLockWriter(null, true, Duration.ofSeconds(1)));
    assertTrue(e.getMessage().startsWith("condition must not be null"), e.getMessage());
    assertNames(e, "lock_1", "client_1");
    e = assertThrows(IllegalArgumentException.class, () -> m.addLockLostListener(null));
    assertTrue(e.getMessage().startsWith("listener must not be null"), e.getMessage());
    assertNames(e, "lock_1", "client_1");
    assertCollectionNeverCreated();
  }

  // ------------------------------------------------------------------------------- durations

  @Test
  void negativeAndNullTimeoutsAreRefusedBeforeAnythingIsWritten() {
    RWMutex m = mutex("lock_1", "client_1");
    for (Duration bad : new Duration[] {Duration.ofMillis(-1), Duration.ofNanos(-1), null}) {
      for (Executable call :
          List.<Executable>of(
              () -> m.tryLock(bad),
              () -> m.lock(bad),
              () -> m.tryRLock(bad),
              () -> m.rLock(bad),
              () -> m.acquireWrite(bad),
              () -> m.acquireRead(bad),
              () -> m.conditionalOverrideLockWriter((o, n) -> true, true, bad))) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith("timeout must be zero or positive"), e.getMessage());
        assertNames(e, "lock_1", "client_1");
      }
    }
    assertCollectionNeverCreated();
  }

  @Test
  void aZeroTimeoutIsOneAttempt() {
    RWMutex holder = mutex("lock_1", "holder");
    RWMutex m = mutex("lock_1", "client_1");
    assertTrue(holder.tryLock(Duration.ZERO));
    long start = System.nanoTime();
    assertFalse(m.tryLock(Duration.ZERO));
    assertFalse(m.tryRLock(Duration.ZERO));
    LockTimeoutException e = assertThrows(LockTimeoutException.class, () -> m.lock(Duration.ZERO));
    assertEquals(
        "timed out after 0 ms waiting for the write lock lock_1 (client: client_1)",
        e.getMessage());
    assertNames(e, "lock_1", "client_1");
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "did not wait");
    holder.unlock();
  }

  /** Each duration setting by name, for the parameterised tests. */
  private static RWMutexOptions.Builder with(String setting, Duration d) {
    RWMutexOptions.Builder b = RWMutexOptions.builder();
    return switch (setting) {
      case "sleepTime" -> b.sleepTime(d);
      case "minSleepTime" -> b.minSleepTime(d);
      case "writerWaitingTtl" -> b.writerWaitingTtl(d);
      case "leaseTime" -> b.leaseTime(d);
      case "renewInterval" -> b.renewInterval(d);
      case "commandTimeout" -> b.commandTimeout(d);
      default -> throw new AssertionError(setting);
    };
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "sleepTime",
        "minSleepTime",
        "writerWaitingTtl",
        "leaseTime",
        "renewInterval",
        "commandTimeout"
      })
  void zeroAndNegativeOptionDurationsAreRefusedNamingTheSetting(String setting) {
    for (Duration bad :
        new Duration[] {Duration.ZERO, Duration.ofMillis(-1), Duration.ofNanos(-1)}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> with(setting, bad).build());
      assertTrue(e.getMessage().contains(setting), e.getMessage());
      assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }
  }

  /**
   * writerWaitingTtl, leaseTime and commandTimeout reach MongoDB (and the driver's timeoutMS) in
   * whole milliseconds: below 1 ms they became 0, which for commandTimeout meant no timeout at all,
   * for leaseTime a lease that had expired when it was stamped, and for writerWaitingTtl a mark
   * that had always lapsed.
   */
  @ParameterizedTest
  @ValueSource(strings = {"writerWaitingTtl", "leaseTime", "commandTimeout"})
  void subMillisecondDurationsThatMongoDBTakesInMillisecondsAreRefused(String setting) {
    Duration bad = Duration.ofNanos(999_999);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> with(setting, bad).build());
    assertEquals(
        setting + " must be at least 1 ms (MongoDB takes it in milliseconds), got " + bad,
        e.getMessage());
    with(setting, Duration.ofMillis(1)).build(); // 1 ms is allowed
  }

  /**
   * A duration whose nanoseconds overflow a long (about 292 years) was accepted by build() and then
   * failed with an ArithmeticException, in the RWMutex constructor or on first wait.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "sleepTime",
        "minSleepTime",
        "writerWaitingTtl",
        "leaseTime",
        "renewInterval",
        "commandTimeout"
      })
  void durationsTooLongForNanosecondsAreRefused(String setting) {
    Duration bad = Duration.ofSeconds(Long.MAX_VALUE);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> {
              RWMutexOptions options = with(setting, bad).build();
              new RWMutex(locks, "lock_1", "client_1", options).tryLock(Duration.ofMillis(50));
            });
    assertTrue(e.getMessage().startsWith(setting + " must be at most "), e.getMessage());
    assertTrue(e.getMessage().endsWith("got " + bad), e.getMessage());
    assertCollectionNeverCreated();
  }

  @Test
  void renewIntervalNotShorterThanTheLeaseIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                RWMutexOptions.builder()
                    .leaseTime(Duration.ofSeconds(3))
                    .renewInterval(Duration.ofSeconds(3))
                    .build());
    assertTrue(e.getMessage().contains("renewInterval"), e.getMessage());
    assertTrue(e.getMessage().contains("leaseTime"), e.getMessage());
  }

  // ------------------------------------------------------------------------------- long IDs

  /**
   * IDs longer than the 1024 bytes that an index key could have before MongoDB 4.2 are accepted:
   * 4.2 removed that limit where featureCompatibilityVersion is 4.2 or later (SERVER-36278 "Remove
   * the 1KB index key size limit"; the Index Key Limit entry of
   * https://www.mongodb.com/docs/manual/reference/limits/ says it applies only to earlier fCVs),
   * and this library needs 4.4 or later anyway. The lockID is indexed twice ({@code _id} and the
   * unique {@code lockID} index), the clientID not at all.
   */
  @Test
  void idsLongerThanTheOldIndexKeyLimitAreAccepted() {
    String lockID = "L".repeat(600) + "\u00e9".repeat(600); // 1,800 bytes of UTF-8
    String clientID = "\u9501".repeat(3000); // 9,000 bytes
    RWMutex m = mutex(lockID, clientID);
    m.lock();
    assertEquals(clientID, storedRaw(locks, lockID).get("writer"));
    assertFalse(mutex(lockID, "client_2").tryRLock());
    m.unlock();
    m.rLock();
    assertEquals(List.of(clientID), storedRaw(locks, lockID).get("readers"));
    m.rUnlock();
    assertEquals(List.of(), everything());
  }

  /**
   * The library's own limit, {@link RWMutex#MAX_ID_BYTES}: the lock document holds the lockID twice
   * and every holder's clientID twice, each command several of them, and a document or command must
   * stay below MongoDB's 16 MiB. Without it a huge ID failed in the driver's encoder with a
   * BsonMaximumSizeExceededException, which is no MongoLockException, and every message would have
   * quoted it whole.
   */
  @Test
  void idsLongerThanTheLibraryLimitAreRefusedWithoutQuotingThemWhole() {
    String atLimit = "a".repeat(RWMutex.MAX_ID_BYTES);
    RWMutex m = mutex(atLimit, atLimit);
    m.lock();
    m.unlock();
    // three bytes a char: fewer chars than the limit, more bytes
    String tooLong = "\u9501".repeat(RWMutex.MAX_ID_BYTES / 3 + 1);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> mutex(tooLong, "client_1"));
    assertTrue(
        e.getMessage().startsWith("lockID must not be longer than 16384 bytes of UTF-8, got 16386"),
        e.getMessage());
    assertTrue(e.getMessage().contains("client_1"), e.getMessage());
    assertTrue(e.getMessage().length() < 300, "not quoted whole: " + e.getMessage().length());
    e = assertThrows(IllegalArgumentException.class, () -> mutex("lock_1", tooLong));
    assertTrue(e.getMessage().startsWith("clientID must not be longer than"), e.getMessage());
    assertTrue(e.getMessage().contains("lock_1"), e.getMessage());
    assertTrue(e.getMessage().length() < 300, "not quoted whole: " + e.getMessage().length());
    // the other ID is abbreviated too
    e =
        assertThrows(
            IllegalArgumentException.class, () -> mutex(tooLong, "\u9501".repeat(9_000_000)));
    assertTrue(e.getMessage().length() < 300, "not quoted whole: " + e.getMessage().length());
    assertEquals(List.of(), everything());
  }

  /**
   * A Java string may hold an unpaired surrogate, which UTF-8 cannot encode: the driver writes it
   * as bytes that are not UTF-8, a server stores or compares them as it likes (the embedded one as
   * U+FFFD), and "s" with U+D800 and "s" with U+D801 were then one lock, read back as neither.
   */
  @ParameterizedTest
  @ValueSource(strings = {"\uD800", "s\uD801", "a\uDC00b", "reversed \uDC00\uD83D", "ends \uD83D"})
  void idsThatAreNotValidUnicodeAreRefused(String id) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> mutex(id, "client_1"));
    assertTrue(
        e.getMessage().startsWith("lockID must be valid Unicode: an unpaired surrogate"),
        e.getMessage());
    assertTrue(e.getMessage().contains("client_1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> mutex("lock_1", id));
    assertTrue(
        e.getMessage().startsWith("clientID must be valid Unicode: an unpaired surrogate"),
        e.getMessage());
    assertTrue(e.getMessage().contains("lock_1"), e.getMessage());
    assertCollectionNeverCreated();
  }

  // ------------------------------------------------------------------------------- closed client

  /** The lock collection through a client of its own, which the test closes. */
  private MongoCollection<Document> throughOwnClient(MongoClient client) {
    return client.getDatabase(db.getName()).getCollection(locks.getNamespace().getCollectionName());
  }

  /**
   * The driver refuses to work for a closed client with an IllegalStateException ("state should be:
   * open"), which is no MongoException: it escaped from every acquire as it was, naming neither the
   * lock nor the client.
   */
  @Test
  void aClosedMongoClientFailsAcquiresWithALockException() {
    MongoClient client = TestMongo.get().newClient();
    MongoCollection<Document> closed = throughOwnClient(client);
    client.close();
    for (RWMutexOptions options : List.of(fast(), fast().toBuilder().ensureIndex(false).build())) {
      RWMutex m = new RWMutex(closed, "lock_1", "client_1", options);
      for (Executable acquire :
          List.<Executable>of(
              m::tryLock, m::tryRLock, () -> m.tryLock(Duration.ofSeconds(2)), m::lock, m::rLock)) {
        LockAcquisitionException e =
            assertTimeoutPreemptively(
                Duration.ofSeconds(20),
                () -> assertThrows(LockAcquisitionException.class, acquire));
        assertTrue(e.getMessage().startsWith("error acquiring lock lock_1: "), e.getMessage());
        assertTrue(e.getMessage().contains("MongoClient is closed"), e.getMessage());
        assertTrue(e.getCause() instanceof MongoClientException, String.valueOf(e.getCause()));
      }
      for (Executable override :
          List.<Executable>of(
              () -> m.tryOverrideLockWriter("", true),
              () -> m.conditionalOverrideLockWriter((o, n) -> true, true, Duration.ZERO))) {
        LockOverrideException e = assertThrows(LockOverrideException.class, override);
        assertTrue(e.getMessage().startsWith("error overriding lock lock_1: "), e.getMessage());
        assertTrue(e.getMessage().contains("MongoClient is closed"), e.getMessage());
        assertNames(e, "lock_1", "client_1");
      }
    }
    assertCollectionNeverCreated();
  }

  @Test
  void aMongoClientClosedWhileHoldingFailsTheUnlockWithAReleaseException() {
    RWMutexOptions shortLease = fast().toBuilder().leaseTime(Duration.ofSeconds(3)).build();
    try (LockRuntime runtime = LockRuntime.create()) {
      MongoClient client = TestMongo.get().newClient();
      RWMutex writer = new RWMutex(runtime, throughOwnClient(client), "lock_1", "c1", shortLease);
      RWMutex reader = new RWMutex(runtime, throughOwnClient(client), "lock_2", "c1", shortLease);
      writer.lock();
      reader.rLock();
      client.close();
      LockReleaseException e = assertThrows(LockReleaseException.class, writer::unlock);
      assertTrue(e.getMessage().startsWith("error releasing lock lock_1: "), e.getMessage());
      assertTrue(e.getMessage().contains("MongoClient is closed"), e.getMessage());
      assertFalse(writer.isHeld(), "released locally all the same");
      e = assertThrows(LockReleaseException.class, reader::rUnlock);
      assertTrue(e.getMessage().contains("MongoClient is closed"), e.getMessage());
      assertFalse(reader.isHeld());
    }
    // nothing renews the leases any more: another client takes over once they expire
    RWMutex next = mutex("lock_1", "c2");
    assertTrue(next.tryLock(Duration.ofSeconds(20)));
    next.unlock();
    RWMutex nextWriter = mutex("lock_2", "c2");
    assertTrue(nextWriter.tryLock(Duration.ofSeconds(20)));
    nextWriter.unlock();
  }

  // ------------------------------------------------------------------------------- permissions

  /**
   * The lock collection as a user without write privileges sees it: the embedded server has no
   * authorisation, so its writes (and, if asked, its index creation) fail here as mongod fails
   * them, with the command error 13 Unauthorized; reads go through.
   */
  static final class Unauthorized {
    final MongoCollection<Document> collection;
    volatile boolean refuseWrites = true;
    volatile boolean refuseIndexes;
    final AtomicInteger refused = new AtomicInteger();

    Unauthorized(MongoCollection<Document> delegate) {
      this.collection = wrap(delegate);
    }

    private MongoCollection<Document> wrap(MongoCollection<Document> delegate) {
      return LockTestSupport.intercepted(
          delegate,
          (name, on, call) -> {
            String command =
                switch (name) {
                  case "updateOne", "updateMany", "replaceOne" -> "update";
                  case "deleteOne", "deleteMany" -> "delete";
                  case "insertOne", "insertMany" -> "insert";
                  case "findOneAndUpdate", "findOneAndDelete", "findOneAndReplace" ->
                      "findAndModify";
                  case "createIndex", "createIndexes" -> "createIndexes";
                  default -> null;
                };
            boolean refuse =
                command != null && (command.equals("createIndexes") ? refuseIndexes : refuseWrites);
            if (refuse) {
              refused.incrementAndGet();
              throw unauthorized(on, command);
            }
            return call.proceed();
          });
    }

    /** What mongod answers a user who lacks the privilege for {@code command}. */
    static MongoCommandException unauthorized(MongoCollection<?> on, String command) {
      MongoNamespace ns = on.getNamespace();
      return new MongoCommandException(
          new BsonDocument("ok", new BsonDouble(0))
              .append(
                  "errmsg",
                  new BsonString(
                      "not authorized on "
                          + ns.getDatabaseName()
                          + " to execute command { "
                          + command
                          + ": \""
                          + ns.getCollectionName()
                          + "\" }"))
              .append("code", new BsonInt32(13))
              .append("codeName", new BsonString("Unauthorized")),
          new ServerAddress());
    }
  }

  private static void assertUnauthorizedCause(Throwable e) {
    assertTrue(
        e.getCause() instanceof MongoCommandException c && c.getErrorCode() == 13,
        "the driver's error is the cause: " + e.getCause());
    assertTrue(e.getMessage().contains("Unauthorized"), e.getMessage());
  }

  @Test
  void withoutThePrivilegeToCreateTheIndexesAnAcquireFailsSayingSo() {
    Unauthorized readOnly = new Unauthorized(locks);
    readOnly.refuseIndexes = true;
    RWMutex m = new RWMutex(readOnly.collection, "lock_1", "client_1", fast());
    for (Executable acquire : List.<Executable>of(m::tryLock, m::rLock)) {
      LockAcquisitionException e = assertThrows(LockAcquisitionException.class, acquire);
      assertTrue(e.getMessage().startsWith("error acquiring lock lock_1: "), e.getMessage());
      assertNames(e, "lock_1", "client_1");
      assertUnauthorizedCause(e);
      assertTrue(e.getMessage().contains("createIndex privilege"), e.getMessage());
      assertTrue(e.getMessage().contains("ensureIndex(false)"), e.getMessage());
    }
    assertCollectionNeverCreated();
  }

  @Test
  void withoutWritePermissionAcquiresFailAtOnceAndWriteNothing() {
    // an administrator created the indexes (through a client that may)
    RWMutex admin = mutex("setup", "admin");
    admin.lock();
    admin.unlock();
    Unauthorized readOnly = new Unauthorized(locks);
    RWMutex m = new RWMutex(readOnly.collection, "lock_1", "client_1", fast());
    for (Executable acquire :
        List.<Executable>of(
            m::tryLock,
            m::tryRLock,
            m::lock,
            m::rLock,
            () -> m.tryLock(Duration.ofSeconds(30)),
            () -> m.acquireRead(Duration.ofSeconds(30)))) {
      long start = System.nanoTime();
      LockAcquisitionException e = assertThrows(LockAcquisitionException.class, acquire);
      assertTrue(
          System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "failed without waiting");
      assertTrue(e.getMessage().startsWith("error acquiring lock lock_1: "), e.getMessage());
      assertNames(e, "lock_1", "client_1");
      assertUnauthorizedCause(e);
      assertFalse(m.isHeld());
    }
    assertTrue(readOnly.refused.get() > 0);
    assertEquals(List.of(), everything());
  }

  @Test
  void withoutWritePermissionAnUnlockFailsWithAReleaseException() {
    RWMutexOptions shortLease = fast().toBuilder().leaseTime(Duration.ofSeconds(3)).build();
    try (LockRuntime runtime = LockRuntime.create()) {
      Unauthorized revoked = new Unauthorized(locks);
      revoked.refuseWrites = false;
      RWMutex m = new RWMutex(runtime, revoked.collection, "lock_1", "client_1", shortLease);
      m.lock();
      Document held = storedRaw(locks, "lock_1");
      revoked.refuseWrites = true; // the privilege was revoked while the lock was held
      LockReleaseException e = assertThrows(LockReleaseException.class, m::unlock);
      assertTrue(e.getMessage().startsWith("error releasing lock lock_1: "), e.getMessage());
      assertNames(e, "lock_1", "client_1");
      assertUnauthorizedCause(e);
      assertFalse(m.isHeld(), "released locally all the same");
      assertEquals(held.get("writer"), storedRaw(locks, "lock_1").get("writer"));
    }
    // its lease is no longer renewed (the renewals are refused too): another client takes over
    RWMutex next = mutex("lock_1", "client_2");
    assertTrue(next.tryLock(Duration.ofSeconds(20)));
    next.unlock();
  }

  // ------------------------------------------------------------------------------- hand-written
  // documents

  /**
   * Writes a lock document by hand, as another program might; returns it as stored.
   *
   * <p>The decision for documents with fields of the wrong type: the library never rewrites them
   * and never waits for a holder it cannot interpret. An acquire that is not granted, or that
   * MongoDB refuses, because of such a field fails at once with a {@link LockAcquisitionException}
   * naming the lock, the client and each wrong field, and leaves the document as it is (fix or
   * delete it). A missing or null field reads as absent, as in mongo-lock-node's documents; only
   * where MongoDB refuses to add to a null array does the acquire fail, naming it.
   */
  private Document writtenByHand(String lockID, Document fields) {
    Document doc = new Document("_id", lockID).append("lockID", lockID);
    doc.putAll(fields);
    locks.insertOne(doc);
    return storedRaw(locks, lockID);
  }

  static Stream<Arguments> documentsOfWrongTypes() {
    return Stream.of(
        arguments(
            "writer: 5",
            new Document("writer", 5).append("readers", List.of()),
            "writer is 5, expected a client ID (a string)"),
        arguments(
            "writer: {}",
            new Document("writer", new Document()).append("readers", List.of()),
            "writer is {}, expected a client ID (a string)"),
        arguments(
            "readers: \"x\"",
            new Document("writer", "").append("readers", "x"),
            "readers is \"x\", expected an array of client IDs"),
        arguments(
            "holders: \"x\" under another writer",
            new Document("writer", "other").append("readers", List.of()).append("holders", "x"),
            "holders is \"x\", expected an array of lease entries"),
        arguments(
            "leases: 3",
            new Document("writer", "").append("readers", List.of()).append("leases", 3),
            "leases is 3, expected a document of leases"),
        arguments(
            "expiresAt: \"tomorrow\" under another writer",
            new Document("writer", "other")
                .append("readers", List.of())
                .append("expiresAt", "tomorrow"),
            "expiresAt is \"tomorrow\", expected a date"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("documentsOfWrongTypes")
  void aDocumentOfWrongTypesFailsAcquiresAtOnceAndIsLeftAsItIs(
      String description, Document fields, String problem) {
    Document before = writtenByHand("bad", fields);
    RWMutex m = mutex("bad", "client_1");
    for (Executable acquire :
        List.<Executable>of(
            m::tryLock,
            m::tryRLock,
            () -> m.tryLock(Duration.ofSeconds(30)),
            () -> m.tryRLock(Duration.ofSeconds(30)),
            m::lock,
            m::rLock)) {
      long start = System.nanoTime();
      LockAcquisitionException e =
          assertTimeoutPreemptively(
              Duration.ofSeconds(20), () -> assertThrows(LockAcquisitionException.class, acquire));
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "did not wait");
      assertTrue(e.getMessage().startsWith("error acquiring lock bad: "), e.getMessage());
      assertTrue(e.getMessage().contains(problem), e.getMessage());
      assertNames(e, "bad", "client_1");
      assertEquals(before, storedRaw(locks, "bad"), "left as it is");
      assertFalse(m.isHeld());
    }
    assertEquals(List.of(before), everything());
  }

  /** Null readers read as none: a write acquire is granted; MongoDB refuses to add a reader. */
  @Test
  void nullReadersReadAsNoneButCannotBeAddedTo() {
    Document before = writtenByHand("bad", new Document("writer", "").append("readers", null));
    RWMutex m = mutex("bad", "client_1");
    LockAcquisitionException e = assertThrows(LockAcquisitionException.class, m::tryRLock);
    assertTrue(e.getMessage().contains("readers is null, expected an array"), e.getMessage());
    assertNames(e, "bad", "client_1");
    assertTrue(e.getCause() instanceof MongoWriteException, String.valueOf(e.getCause()));
    assertEquals(before, storedRaw(locks, "bad"));

    assertTrue(m.tryLock(), "no readers: the write lock is free");
    assertEquals(List.of(), storedRaw(locks, "bad").get("readers"));
    m.unlock();
    assertEquals(List.of(), everything());
  }

  /**
   * A lock that its writer and readers show free is granted to a writer, whose acquire replaces the
   * library's lease fields whole, whatever they held; a reader's acquire adds to them, which
   * MongoDB refuses.
   */
  @Test
  void holdersOfTheWrongTypeOnAFreeLock() {
    Document before =
        writtenByHand(
            "bad", new Document("writer", "").append("readers", List.of()).append("holders", "x"));
    RWMutex m = mutex("bad", "client_1");
    LockAcquisitionException e = assertThrows(LockAcquisitionException.class, m::tryRLock);
    assertTrue(
        e.getMessage().contains("holders is \"x\", expected an array of lease entries"),
        e.getMessage());
    assertNames(e, "bad", "client_1");
    assertEquals(before, storedRaw(locks, "bad"));

    assertTrue(m.tryLock());
    Document held = storedRaw(locks, "bad");
    assertEquals("client_1", held.get("writer"));
    assertEquals(
        List.of(new Document("c", "client_1").append("s", m.leaseKeeper().sessionID)),
        held.get("holders"));
    m.unlock();
    assertEquals(List.of(), everything());
  }

  // ------------------------------------------------------------------------------- secrets

  /**
   * What is logged while it runs. The library and the driver log through SLF4J, bound to
   * slf4j-simple in the tests, which writes to System.err (captured by a tee, as is System.out);
   * core's test {@code simplelogger.properties} sets the library's loggers to DEBUG, the lowest
   * level it uses, so that every line it logs is captured. Anything logged to java.util.logging
   * (the JDK's System.Logger, which the library used before) is captured at every level too.
   */
  static final class CapturedLogs implements AutoCloseable {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final PrintStream originalOut = System.out;
    private final PrintStream originalErr = System.err;
    private final List<String> records = new CopyOnWriteArrayList<>();
    private final java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
    private final java.util.logging.Logger library =
        java.util.logging.Logger.getLogger("io.github.mongolock");
    private final java.util.logging.Level libraryLevel = library.getLevel();
    private final Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            StringBuilder b = new StringBuilder(r.getLoggerName() + " " + r.getMessage());
            if (r.getParameters() != null) {
              for (Object p : r.getParameters()) {
                b.append(' ').append(p);
              }
            }
            for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
              b.append(' ').append(t);
            }
            records.add(b.toString());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };

    CapturedLogs() {
      handler.setLevel(java.util.logging.Level.ALL);
      root.addHandler(handler);
      library.setLevel(java.util.logging.Level.ALL);
      System.setOut(new PrintStream(new Tee(originalOut, out), true));
      System.setErr(new PrintStream(new Tee(originalErr, out), true));
    }

    /** Every captured line. */
    List<String> lines() {
      List<String> lines = new ArrayList<>(records);
      synchronized (out) {
        lines.addAll(List.of(out.toString(StandardCharsets.UTF_8).split("\n")));
      }
      return lines;
    }

    @Override
    public void close() {
      System.setOut(originalOut);
      System.setErr(originalErr);
      root.removeHandler(handler);
      library.setLevel(libraryLevel);
    }

    private static final class Tee extends OutputStream {
      private final OutputStream first;
      private final ByteArrayOutputStream copy;

      Tee(OutputStream first, ByteArrayOutputStream copy) {
        this.first = first;
        this.copy = copy;
      }

      @Override
      public void write(int b) throws IOException {
        first.write(b);
        synchronized (copy) {
          copy.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        first.write(b, off, len);
        synchronized (copy) {
          copy.write(b, off, len);
        }
      }
    }
  }

  /** Every message and description of {@code e}, its causes and suppressed exceptions. */
  private static void collectTexts(Throwable e, List<String> into) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      into.add(t.toString());
      into.add(String.valueOf(t.getMessage()));
      for (Throwable s : t.getSuppressed()) {
        collectTexts(s, into);
      }
    }
  }

  /**
   * A connection string with a password, to the test's server (which refuses to authenticate: the
   * embedded one knows no saslStart) and to a port where nothing listens: every call fails with a
   * lock exception (or, a timed wait, returns false), and neither its messages, its causes', the
   * options', the mutex's, nor any line logged meanwhile contains the password.
   */
  @Test
  void aPasswordInTheConnectionStringAppearsInNoMessageAndNoLog() {
    String password = "n0tInAnyM3ssage";
    ConnectionString server = new ConnectionString(TestMongo.get().uri());
    List<String> uris =
        List.of(
            "mongodb://lock-user:"
                + password
                + "@"
                + String.join(",", server.getHosts())
                + "/?authSource=admin&serverSelectionTimeoutMS=2000",
            "mongodb://lock-user:"
                + password
                + "@127.0.0.1:1/?serverSelectionTimeoutMS=500&connectTimeoutMS=500");
    List<String> texts = new ArrayList<>();
    List<Throwable> thrown = new ArrayList<>();
    try (CapturedLogs logs = new CapturedLogs()) {
      for (String uri : uris) {
        try (MongoClient client = MongoClients.create(uri)) {
          RWMutexOptions options =
              fast().toBuilder().commandTimeout(Duration.ofMillis(500)).build();
          for (RWMutexOptions o :
              List.of(options, options.toBuilder().ensureIndex(false).build())) {
            RWMutex m = new RWMutex(throughOwnClient(client), "lock_1", "client_1", o);
            texts.add(o.toString());
            texts.add(m.toString());
            for (Executable call :
                List.<Executable>of(
                    m::tryLock,
                    () -> m.tryRLock(Duration.ofMillis(500)),
                    m::unlock,
                    m::rUnlock,
                    () -> m.tryOverrideLockWriter("", true),
                    () -> m.conditionalOverrideLockWriter((a, b) -> true, true, Duration.ZERO))) {
              try {
                call.execute(); // a timed wait whose commands time out returns false at its bound
              } catch (Throwable e) {
                assertTrue(e instanceof MongoLockException, "a lock exception: " + e);
                assertNames(e, "lock_1", "client_1");
                thrown.add(e);
              }
            }
          }
        }
      }
      // the capture itself works: a line of each kind shows up, the library's DEBUG included
      org.slf4j.LoggerFactory.getLogger("io.github.mongolock.internal.engine.LockEngine")
          .debug("marker-1");
      System.getLogger("io.github.mongolock.MisuseTest").log(System.Logger.Level.DEBUG, "marker-3");
      System.err.println("marker-2");
      texts.addAll(logs.lines());
      assertTrue(
          texts.stream().anyMatch(t -> t.contains("DEBUG") && t.contains("marker-1")),
          "the library's SLF4J DEBUG lines captured");
      assertTrue(texts.stream().anyMatch(t -> t.contains("marker-3")), "System.Logger captured");
      assertTrue(texts.stream().anyMatch(t -> t.contains("marker-2")), "System.err captured");
    }
    thrown.forEach(e -> collectTexts(e, texts));
    assertFalse(thrown.isEmpty());
    for (String text : texts) {
      assertFalse(text.contains(password), "the password is shown: " + text);
    }
    assertEquals(List.of(), everything());
  }
}
