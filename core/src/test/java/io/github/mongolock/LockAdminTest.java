package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.await;
import static io.github.mongolock.LockTestSupport.eventually;
import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.onThread;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link LockAdmin} against real mutexes: what it reads (each field of {@link LockState}, with
 * times judged against the server's clock it reports), what a forced release leaves and what the
 * holders' processes are told. Each simulated process is its own {@link LockRuntime}, so it has its
 * own lease session, as separate JVMs would.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LockAdminTest {

  /**
   * Long enough that a stalled JVM (GC, two busy cores) keeps the holds a test keeps; a forced
   * release is still noticed at once, by the next renewal (every {@link #RENEW}), not by the lease
   * running out.
   */
  private static final Duration LEASE = Duration.ofSeconds(3);

  private static final Duration RENEW = Duration.ofMillis(200);

  /** How long a process may take to notice a loss: a few renewals on a loaded machine. */
  private static final long NOTICE_MILLIS = 10_000;

  private MongoCollection<Document> locks;
  private LockAdmin admin;
  private final List<LockRuntime> runtimes = new ArrayList<>();

  @BeforeEach
  void freshLocks(MongoDatabase db) {
    locks = freshCollection(db);
    admin = new LockAdmin(locks);
  }

  @AfterEach
  void closeRuntimes() {
    runtimes.forEach(LockRuntime::close);
  }

  /** A mutex of its own process (runtime), renewed often so that forced releases show quickly. */
  private RWMutex process(String lockID, String client) {
    LockRuntime runtime = LockRuntime.create();
    runtimes.add(runtime);
    return new RWMutex(
        runtime,
        locks,
        lockID,
        client,
        fast().toBuilder().leaseTime(LEASE).renewInterval(RENEW).build());
  }

  private record Loss(String lockID, String clientID, LockMode mode) {}

  private static List<Loss> lossesOf(RWMutex mutex) {
    List<Loss> losses = new CopyOnWriteArrayList<>();
    mutex.addLockLostListener((lock, client, mode) -> losses.add(new Loss(lock, client, mode)));
    return losses;
  }

  private static Duration between(Instant from, Instant to) {
    return Duration.between(from, to);
  }

  // ------------------------------------------------------------------------------- reading

  @Test
  void listsLockDocumentsByLockIdUpToTheLimitLeavingOutCountersAndOtherDocuments() {
    RWMutex c = process("c", "client_c");
    RWMutex a = process("a", "client_a");
    RWMutex b = process("b", "client_b");
    c.lock();
    a.lock();
    b.rLock();
    a.fencingToken(); // a counter document {lockID: {fencing: "a"}} beside the locks
    locks.insertOne(new Document("note", "not a lock"));
    locks.insertOne(new Document("lockID", 42));

    List<LockState> all = admin.list(100);
    assertEquals(List.of("a", "b", "c"), all.stream().map(LockState::lockID).toList());
    assertEquals(
        List.of("a", "b"), admin.list(2).stream().map(LockState::lockID).toList(), "the limit");
    assertEquals(List.of("a"), admin.list(1).stream().map(LockState::lockID).toList());
    assertEquals("client_a", all.get(0).writer());
    assertEquals(List.of("client_b"), all.get(1).readers());
    assertEquals(1L, all.get(0).fencingToken(), "the counter's token, on its lock's state");
    assertNull(all.get(2).fencingToken(), "no token was issued for c");
    Instant serverTime = all.get(0).serverTime();
    assertTrue(all.stream().allMatch(s -> s.serverTime().equals(serverTime)), "one clock reading");

    for (int bad : new int[] {0, -1, Integer.MIN_VALUE}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> admin.list(bad));
      assertTrue(e.getMessage().contains("limit must be 1 or more, not " + bad), e.getMessage());
      assertTrue(e.getMessage().contains(locks.getNamespace().getFullName()), e.getMessage());
    }
  }

  @Test
  void anEmptyCollectionListsNothingAndAMissingLockIsEmpty() {
    assertEquals(List.of(), admin.list(10));
    assertTrue(admin.find("nothing").isEmpty());
    assertTrue(admin.forceRelease("nothing").isEmpty());
    assertTrue(admin.forceRelease("nothing", "someone").isEmpty());
    assertEquals(0, locks.countDocuments(), "nothing was written");
  }

  @Test
  void aWriteHoldShowsItsLeaseExpiryByTheServersClockAndItsFencingToken() {
    RWMutex writer =
        new RWMutex(
            registered(LockRuntime.create()),
            locks,
            "w",
            "writer_1",
            fast().toBuilder().leaseTime(Duration.ofSeconds(30)).build());
    writer.lock();
    LockState state = admin.find("w").orElseThrow();
    assertEquals("w", state.lockID());
    assertEquals("writer_1", state.writer());
    assertEquals(List.of(), state.readers());
    assertNull(state.writerWaiting());
    assertNull(state.expiresAt());
    assertNull(state.fencingToken(), "no token issued yet");
    assertEquals(List.of(), state.problems());
    assertFalse(state.isFree());
    assertEquals(1, state.holders().size());
    LockState.Holder holder = state.holders().get(0);
    assertEquals("writer_1", holder.clientID());
    assertEquals(LockMode.WRITE, holder.mode());

    // the expiry is the stored stamp plus its length, and lies a lease ahead of the server's clock
    Document stored = storedRaw(locks, "w");
    String session = stored.getList("holders", Document.class).get(0).getString("s");
    Document lease = stored.get("leases", Document.class).get(session, Document.class);
    assertEquals(
        Instant.ofEpochMilli(lease.getDate("at").getTime() + lease.getLong("ms")),
        holder.leaseExpiresAt());
    Duration ahead = between(state.serverTime(), holder.leaseExpiresAt());
    assertTrue(
        ahead.compareTo(Duration.ofSeconds(20)) > 0 && ahead.compareTo(Duration.ofSeconds(30)) <= 0,
        "lease runs out " + ahead + " after the server's clock");

    long token = writer.fencingToken();
    assertEquals(token, admin.find("w").orElseThrow().fencingToken());
    writer.unlock();
    assertTrue(admin.find("w").isEmpty(), "the last release deletes the document");
  }

  private LockRuntime registered(LockRuntime runtime) {
    runtimes.add(runtime);
    return runtime;
  }

  @Test
  void readersAndAWaitingWritersMarkAreShownWithTheMarksLapseTime() {
    RWMutex r1 = process("r", "reader_1");
    RWMutex r2 = process("r", "reader_2");
    RWMutex w = process("r", "writer_1");
    r1.rLock();
    r2.rLock();
    CompletableFuture<LockHandle> waiting =
        onThread("admin-waiting-writer", () -> w.acquireWrite(Duration.ofSeconds(20)));
    assertTrue(
        eventually(() -> admin.find("r").orElseThrow().writerWaiting() != null, 10_000),
        "the waiting writer marks the lock");
    LockState state = admin.find("r").orElseThrow();
    assertNull(state.writer());
    assertEquals(List.of("reader_1", "reader_2"), state.readers());
    assertEquals(
        List.of("reader_1", "reader_2"),
        state.holders().stream().map(LockState.Holder::clientID).toList());
    assertTrue(state.holders().stream().allMatch(h -> h.mode() == LockMode.READ));
    for (LockState.Holder h : state.holders()) {
      Duration ahead = between(state.serverTime(), h.leaseExpiresAt());
      assertTrue(
          !ahead.isNegative() && ahead.compareTo(LEASE) <= 0,
          h + " runs out " + ahead + " after the server's clock, within one lease");
    }
    LockState.WriterWaiting mark = state.writerWaiting();
    assertEquals("writer_1", mark.clientID());
    Duration markAhead = between(state.serverTime(), mark.lapsesAt());
    assertTrue(
        markAhead.compareTo(Duration.ofSeconds(2)) <= 0
            && markAhead.compareTo(Duration.ofSeconds(-1)) > 0,
        "the mark (2 s) lapses " + markAhead + " after the server's clock");

    r1.rUnlock();
    r2.rUnlock();
    try (LockHandle granted = await(waiting)) {
      assertEquals("writer_1", admin.find("r").orElseThrow().writer());
      assertNull(admin.find("r").orElseThrow().writerWaiting(), "its mark went with the grant");
    }
  }

  @Test
  void aDowngradedWriterIsListedInBothModesAndALeaselessHolderWithoutExpiry() {
    RWMutex d = process("d", "downgrader");
    d.lock();
    d.rLock();
    LockState state = admin.find("d").orElseThrow();
    assertEquals("downgrader", state.writer());
    assertEquals(List.of("downgrader"), state.readers());
    assertEquals(
        List.of(LockMode.WRITE, LockMode.READ),
        state.holders().stream().map(LockState.Holder::mode).toList());
    assertEquals(state.holders().get(0).leaseExpiresAt(), state.holders().get(1).leaseExpiresAt());
    d.rUnlock();
    d.unlock();

    // a mongo-lock-node writer (or the seed's override) has no lease: it never expires
    Date expiresAt = new Date(System.currentTimeMillis() + 3_600_000);
    locks.insertOne(
        new Document("lockID", "node")
            .append("writer", "node_client")
            .append("readers", List.of())
            .append("expiresAt", expiresAt));
    LockState node = admin.find("node").orElseThrow();
    assertEquals(
        List.of(new LockState.Holder("node_client", LockMode.WRITE, null)), node.holders());
    assertEquals(expiresAt.toInstant(), node.expiresAt());
    assertEquals(List.of(), node.problems());
  }

  // ------------------------------------------------------------------------- forced release

  @Test
  void forceReleaseOfALockFreesItAtOnceTellsTheWriterAndKeepsTokensRising() {
    RWMutex writer = process("f", "stuck_writer");
    List<Loss> losses = lossesOf(writer);
    writer.lock();
    long before = writer.fencingToken();

    LockState released = admin.forceRelease("f").orElseThrow();
    assertEquals("stuck_writer", released.writer());
    assertEquals(before, released.fencingToken());
    assertEquals(LockMode.WRITE, released.holders().get(0).mode());
    assertNull(storedRaw(locks, "f"), "the lock document is gone");
    Document counter = locks.find(Filters.eq("lockID", new Document("fencing", "f"))).first();
    assertEquals(before, counter.getLong("token"), "the fencing counter is untouched");

    RWMutex next = process("f", "next_writer");
    assertTrue(next.tryLock(), "a new client takes the lock at once");
    assertTrue(next.fencingToken() > before, "its token is larger than the stuck writer's");

    assertTrue(eventually(() -> !losses.isEmpty(), NOTICE_MILLIS), "the writer is told");
    assertEquals(List.of(new Loss("f", "stuck_writer", LockMode.WRITE)), losses);
    assertFalse(writer.isWriteLockedByCurrentThread());
    assertThrows(LockLostException.class, writer::unlock);
    assertEquals("next_writer", admin.find("f").orElseThrow().writer(), "the new hold stays");
    next.unlock();
  }

  @Test
  void forceReleaseOfALockWithReadersAndAMarkClearsThemAll() {
    RWMutex r1 = process("m", "reader_1");
    RWMutex r2 = process("m", "reader_2");
    List<Loss> losses1 = lossesOf(r1);
    List<Loss> losses2 = lossesOf(r2);
    r1.rLock();
    r2.rLock();
    locks.updateOne(
        Filters.eq("lockID", "m"),
        new Document(
            "$set",
            new Document(
                "writerWaiting",
                new Document("client", "gone_writer")
                    .append("at", new Date())
                    .append("ttlMs", 60_000L))));

    LockState released = admin.forceRelease("m").orElseThrow();
    assertEquals(List.of("reader_1", "reader_2"), released.readers());
    assertEquals("gone_writer", released.writerWaiting().clientID());
    assertNull(storedRaw(locks, "m"));
    assertTrue(process("m", "writer").tryLock(), "no mark holds a new writer back");

    assertTrue(eventually(() -> !losses1.isEmpty() && !losses2.isEmpty(), NOTICE_MILLIS));
    assertEquals(List.of(new Loss("m", "reader_1", LockMode.READ)), losses1);
    assertThrows(LockLostException.class, r1::rUnlock);
    assertThrows(LockLostException.class, r2::rUnlock);
  }

  @Test
  void forceReleaseOfOneReaderLeavesTheOtherAndTellsOnlyTheReleasedOne() {
    RWMutex r1 = process("o", "reader_1");
    RWMutex r2 = process("o", "reader_2");
    List<Loss> losses1 = lossesOf(r1);
    List<Loss> losses2 = lossesOf(r2);
    r1.rLock();
    r2.rLock();
    Document stored = storedRaw(locks, "o");
    String session1 = sessionOf(stored, "reader_1");
    String session2 = sessionOf(stored, "reader_2");

    LockState before = admin.forceRelease("o", "reader_1").orElseThrow();
    assertEquals(List.of("reader_1", "reader_2"), before.readers(), "the state before");

    Document after = storedRaw(locks, "o");
    assertEquals(List.of("reader_2"), after.getList("readers", String.class));
    assertEquals(
        List.of(new Document("c", "reader_2").append("s", session2)),
        after.getList("holders", Document.class));
    assertFalse(after.get("leases", Document.class).containsKey(session1), "its lease goes");
    assertTrue(after.get("leases", Document.class).containsKey(session2), "the other's stays");

    assertTrue(eventually(() -> !losses1.isEmpty(), NOTICE_MILLIS), "reader_1 is told");
    assertEquals(List.of(new Loss("o", "reader_1", LockMode.READ)), losses1);
    assertThrows(LockLostException.class, r1::rUnlock);
    assertTrue(
        admin.find("o").orElseThrow().readers().contains("reader_2"), "reader_2 keeps renewing");
    assertEquals(List.of(), losses2);
    r2.rUnlock();
    assertTrue(admin.find("o").isEmpty(), "its release was the last: the document went");
  }

  @Test
  void forceReleaseOfTheWriterLeavesAFreeLockThatANewClientTakesWithALargerToken() {
    RWMutex writer = process("x", "stuck_writer");
    List<Loss> losses = lossesOf(writer);
    writer.lock();
    long before = writer.fencingToken();

    LockState released = admin.forceRelease("x", "stuck_writer").orElseThrow();
    assertEquals("stuck_writer", released.writer());
    LockState now = admin.find("x").orElseThrow();
    assertTrue(now.isFree(), now.toString());
    assertEquals(List.of(), now.holders());
    Document stored = storedRaw(locks, "x");
    assertNull(stored.get("fence"), "the fence stamped for the writer goes with it");
    assertEquals(new Document(), stored.get("leases", Document.class));

    RWMutex next = process("x", "next_writer");
    assertTrue(next.tryLock(), "a new client takes the lock at once");
    assertTrue(next.fencingToken() > before);
    assertTrue(eventually(() -> !losses.isEmpty(), NOTICE_MILLIS));
    assertThrows(LockLostException.class, writer::unlock);
    next.unlock();
  }

  @Test
  void aClientThatHoldsNothingIsNotReleasedAndNothingIsWritten() {
    RWMutex holder = process("n", "holder");
    holder.rLock();
    locks.updateOne(
        Filters.eq("lockID", "n"),
        new Document(
            "$push", new Document("holders", new Document("c", "stray").append("s", "S"))));
    Document before = storedRaw(locks, "n");
    assertTrue(admin.forceRelease("n", "someone_else").isEmpty());
    assertTrue(admin.forceRelease("n", "stray").isEmpty(), "an entry alone is no hold");
    Document after = storedRaw(locks, "n");
    after.get("leases", Document.class).clear(); // renewals re-stamp the lease meanwhile
    before.get("leases", Document.class).clear();
    assertEquals(before, after);
    holder.rUnlock();
  }

  @Test
  void aClientSharingItsSessionWithAnotherKeepsTheSessionsLeaseAndLearnsAtItsUnlock() {
    // two clients of one process (one runtime): one lease session, named by both entries
    LockRuntime process = registered(LockRuntime.create());
    RWMutexOptions options = fast().toBuilder().leaseTime(LEASE).renewInterval(RENEW).build();
    RWMutex r1 = new RWMutex(process, locks, "s", "reader_1", options);
    RWMutex r2 = new RWMutex(process, locks, "s", "reader_2", options);
    r1.rLock();
    r2.rLock();
    String session = sessionOf(storedRaw(locks, "s"), "reader_1");
    assertEquals(session, sessionOf(storedRaw(locks, "s"), "reader_2"));

    admin.forceRelease("s", "reader_1").orElseThrow();
    Document after = storedRaw(locks, "s");
    assertEquals(List.of("reader_2"), after.getList("readers", String.class));
    assertTrue(after.get("leases", Document.class).containsKey(session), "reader_2 still needs it");
    // the heartbeat renews per lock document and session, so it cannot tell reader_1 here; its
    // unlock does
    assertThrows(LockLostException.class, r1::rUnlock);
    r2.rUnlock();
  }

  private static String sessionOf(Document stored, String client) {
    return stored.getList("holders", Document.class).stream()
        .filter(h -> client.equals(h.getString("c")))
        .findFirst()
        .orElseThrow()
        .getString("s");
  }

  @Test
  void everyCommandUsesMajorityConcernsWhateverTheCollectionHas(MongoDatabase db) {
    List<BsonDocument> sent = new CopyOnWriteArrayList<>();
    CommandListener listener =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            sent.add(event.getCommand().clone());
          }
        };
    try (MongoClient client = TestMongo.get().newClient(listener)) {
      MongoCollection<Document> lax =
          client
              .getDatabase(db.getName())
              .getCollection(locks.getNamespace().getCollectionName())
              .withReadConcern(ReadConcern.LOCAL)
              .withWriteConcern(WriteConcern.W1);
      RWMutex holder = process("c", "holder");
      holder.lock();
      LockAdmin viaLax = new LockAdmin(lax);
      viaLax.list(5);
      viaLax.find("c");
      viaLax.forceRelease("c", "holder");
      viaLax.forceRelease("c");
      List<String> names = new ArrayList<>();
      for (BsonDocument command : sent) {
        String name = command.getFirstKey();
        names.add(name);
        if (name.equals("aggregate") || name.equals("find")) {
          assertEquals(
              "majority",
              command.getDocument("readConcern").getString("level").getValue(),
              command.toJson());
        } else {
          assertEquals(
              "majority",
              command.getDocument("writeConcern").getString("w").getValue(),
              command.toJson());
        }
      }
      assertEquals(
          List.of(
              "aggregate",
              "find",
              "aggregate",
              "find",
              "aggregate",
              "findAndModify",
              "find",
              "aggregate",
              "findAndModify",
              "find"),
          names,
          "list, find, one-client release, whole release: each reads once, writes at most once");
    }
  }

  // ------------------------------------------------------------------------------ bad input

  @Test
  void badInputIsRefusedNamingLockAndClientAndNothingIsWritten() {
    RWMutex holder = process("b", "holder");
    holder.lock();
    Document before = storedRaw(locks, "b");
    before.remove("leases");

    assertRefused(() -> new LockAdmin(null), "LockAdmin needs a lock collection");
    assertRefused(() -> admin.find(null), "find: the lock ID must be a non-blank string, not null");
    assertRefused(() -> admin.find(" "), "find: the lock ID must be a non-blank string, not \" \"");
    assertRefused(() -> admin.forceRelease(null), "forceRelease: the lock ID must be");
    assertRefused(() -> admin.forceRelease(""), "not \"\"");
    assertRefused(
        () -> admin.forceRelease(null, "holder"),
        "the lock ID must be a non-blank string, not null (client: holder)");
    assertRefused(
        () -> admin.forceRelease("b", null),
        "forceRelease of lock b: the client ID must be a non-blank string, not null");
    assertRefused(() -> admin.forceRelease("b", "  "), "lock b: the client ID must be");

    Document after = storedRaw(locks, "b");
    after.remove("leases");
    assertEquals(before, after, "nothing was written");
    assertEquals(1, locks.countDocuments());
    holder.unlock();
  }

  private static void assertRefused(Executable call, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @FunctionalInterface
  private interface Executable {
    void run();
  }

  // ------------------------------------------------------------------------ malformed documents

  @Test
  void aMalformedDocumentIsListedWithWhatCanBeReadAndItsProblemsNamed() {
    locks.insertOne(
        new Document("lockID", "bad")
            .append("writer", 5)
            .append("readers", "x")
            .append("holders", 3)
            .append("leases", "y")
            .append("expiresAt", "tomorrow")
            .append("writerWaiting", 7));
    locks.insertOne(
        new Document("lockID", "half")
            .append("writer", "w")
            .append("readers", List.of("r", 9))
            .append("holders", List.of(new Document("c", "w").append("s", "S"), "junk"))
            .append("leases", new Document("S", new Document("at", "noon").append("ms", 1)))
            .append("writerWaiting", new Document("client", "ww")));
    RWMutex fine = process("ok", "fine");
    fine.lock();

    List<LockState> all = admin.list(10);
    assertEquals(List.of("bad", "half", "ok"), all.stream().map(LockState::lockID).toList());

    LockState bad = all.get(0);
    assertNull(bad.writer());
    assertEquals(List.of(), bad.readers());
    assertEquals(List.of(), bad.holders());
    assertNull(bad.writerWaiting());
    assertNull(bad.expiresAt());
    String problems = String.join("\n", bad.problems());
    for (String field :
        List.of(
            "writer is 5",
            "readers is \"x\"",
            "holders is 3",
            "leases is \"y\"",
            "writerWaiting is 7",
            "expiresAt is \"tomorrow\"")) {
      assertTrue(problems.contains(field), field + " in " + problems);
    }

    LockState half = all.get(1);
    assertEquals("w", half.writer());
    assertEquals(List.of("r"), half.readers(), "only the client IDs");
    assertEquals(
        List.of(
            new LockState.Holder("w", LockMode.WRITE, null),
            new LockState.Holder("r", LockMode.READ, null)),
        half.holders());
    assertEquals("ww", half.writerWaiting().clientID());
    assertNull(half.writerWaiting().lapsesAt());
    String halfProblems = String.join("\n", half.problems());
    assertTrue(halfProblems.contains("readers has 9"), halfProblems);
    assertTrue(halfProblems.contains("holder w has lease entries of sessions [S]"), halfProblems);
    assertTrue(halfProblems.contains("writerWaiting lacks"), halfProblems);

    assertEquals(List.of(), all.get(2).problems());
    fine.unlock();
  }

  @Test
  void oneClientOfAMalformedDocumentIsRefusedButTheWholeLockCanBeReleased() {
    Document bad =
        new Document("lockID", "bad")
            .append("writer", "w")
            .append("readers", "w")
            .append("holders", 3);
    locks.insertOne(bad);
    MongoLockException e =
        assertThrows(MongoLockException.class, () -> admin.forceRelease("bad", "w"));
    assertEquals("bad", e.lockID());
    assertEquals("w", e.clientID());
    assertTrue(
        e.getMessage().contains("cannot force-release client w of lock bad"), e.getMessage());
    assertTrue(e.getMessage().contains("readers is"), e.getMessage());
    assertTrue(e.getMessage().contains("holders is"), e.getMessage());
    assertTrue(e.getMessage().contains("forceRelease(\"bad\") removes the whole lock"));
    assertEquals(bad, storedRaw(locks, "bad"), "left as it was");

    LockState released = admin.forceRelease("bad").orElseThrow();
    assertEquals("w", released.writer());
    assertFalse(released.problems().isEmpty());
    assertNull(storedRaw(locks, "bad"));
  }
}
