package io.github.mongolock.internal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.internal.store.LockCommands.EntryAfterRelease;
import io.github.mongolock.internal.store.LockProtocol.Outcome;
import io.github.mongolock.testkit.CommandShapes;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.bson.Document;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The protocol as a table, run on whatever server the testkit reaches: a stored document (or none),
 * one rule sent by client {@code C} of session {@code S} for lock {@code L}, the outcome, and the
 * document after. Server-clock dates are written relative to now (an hour away, so a loaded machine
 * cannot change the answer), and read back as {@code "<date>"}.
 */
@ExtendWith(MongoExtension.class)
class LockProtocolContractTest {

  private static final AtomicInteger COLLECTIONS = new AtomicInteger();
  private static final long HOUR = 3_600_000;

  private static Date past() {
    return new Date(System.currentTimeMillis() - HOUR);
  }

  private static Date future() {
    return new Date(System.currentTimeMillis() + HOUR);
  }

  private static final LockCommands C = new LockCommands("L", "C", "S", 30_000, null, 2_000, true);
  private static final LockCommands C_NO_PREFERENCE =
      new LockCommands("L", "C", "S", 30_000, null, 2_000, false);

  private record Case(
      String name,
      Document before,
      Function<LockProtocol, Object> rule,
      Object expected,
      String after) {}

  private static Document doc(String json) {
    return Document.parse("{lockID: 'L', " + json + "}");
  }

  private static Document lease(Date at) {
    return new Document("at", at).append("ms", 30_000L);
  }

  private static Function<LockProtocol, Object> run(LockCommand command) {
    return p -> p.run(command);
  }

  private static Function<LockProtocol, Object> acquire(LockCommands.Acquire a, boolean clock) {
    return p -> p.acquire(a, clock);
  }

  private static final String HELD_BY_W =
      "_id: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}]";

  private List<Case> cases() {
    List<Case> t = new ArrayList<>();
    // ---- write acquire
    t.add(
        new Case(
            "write upsert inserts a missing lock, _id = lockID",
            null,
            run(C.writeAcquire().upsert()),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}],"
                + " leases: {S: {ms: 30000, at: '<date>'}}}"));
    t.add(
        new Case(
            "write upsert meets a held lock: duplicate key, nothing changes",
            doc(HELD_BY_W),
            run(C.writeAcquire().upsert()),
            Outcome.DUPLICATE_KEY,
            "{_id: 'L', lockID: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}]}"));
    t.add(
        new Case(
            "write upsert takes a free lock a Node client left (ObjectId _id)",
            doc("_id: ObjectId('000000000000000000000001'), writer: '', readers: []"),
            run(C.writeAcquire().upsert()),
            Outcome.APPLIED,
            "{_id: ObjectId('000000000000000000000001'), lockID: 'L', writer: 'C', readers: [],"
                + " holders: [{c: 'C', s: 'S'}], leases: {S: {ms: 30000, at: '<date>'}}}"));
    t.add(
        new Case(
            "write upsert meets readers",
            doc("_id: 'L', writer: '', readers: ['R']"),
            run(C.writeAcquire().upsert()),
            Outcome.DUPLICATE_KEY,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['R']}"));
    Document expiredWriter = doc(HELD_BY_W).append("expiresAt", past());
    t.add(
        new Case(
            "clock-aware write takes a lock whose expiresAt has passed",
            expiredWriter,
            acquire(C.writeAcquire(), true),
            true,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}],"
                + " leases: {S: {ms: 30000, at: '<date>'}}}"));
    t.add(
        new Case(
            "clock-aware write leaves a lock whose expiresAt has not passed",
            doc(HELD_BY_W).append("expiresAt", future()),
            acquire(C.writeAcquire(), true),
            false,
            "{_id: 'L', lockID: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}],"
                + " expiresAt: '<date>'}"));
    t.add(
        new Case(
            "write without judging the clock leaves an expired lock for later",
            expiredWriter,
            acquire(C.writeAcquire(), false),
            false,
            "{_id: 'L', lockID: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}],"
                + " expiresAt: '<date>'}"));
    t.add(
        new Case(
            "clock-aware write passes another writer's lapsed mark",
            doc("_id: 'L', writer: '', readers: []")
                .append("writerWaiting", mark("O", past(), 2_000)),
            acquire(C.writeAcquire(), true),
            true,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}],"
                + " leases: {S: {ms: 30000, at: '<date>'}}}"));
    t.add(
        new Case(
            "clock-aware write waits behind another writer's fresh mark",
            doc("_id: 'L', writer: '', readers: []")
                .append("writerWaiting", mark("O", future(), 2_000)),
            acquire(C.writeAcquire(), true),
            false,
            "{_id: 'L', lockID: 'L', writer: '', readers: [],"
                + " writerWaiting: {client: 'O', at: '<date>', ttlMs: 2000}}"));
    // ---- read acquire
    t.add(
        new Case(
            "read upsert inserts a missing lock",
            null,
            run(C.readAcquire().upsert()),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', readers: ['C'], holders: [{c: 'C', s: 'S'}],"
                + " leases: {S: {ms: 30000, at: '<date>'}}, writer: ''}"));
    t.add(
        new Case(
            "read upsert joins readers",
            doc("_id: 'L', writer: '', readers: ['R'], holders: [{c: 'R', s: 'SR'}]"),
            run(C.readAcquire().upsert()),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['R', 'C'],"
                + " holders: [{c: 'R', s: 'SR'}, {c: 'C', s: 'S'}],"
                + " leases: {S: {ms: 30000, at: '<date>'}}}"));
    t.add(
        new Case(
            "read upsert meets a writer",
            doc(HELD_BY_W),
            run(C.readAcquire().upsert()),
            Outcome.DUPLICATE_KEY,
            "{_id: 'L', lockID: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}]}"));
    t.add(
        new Case(
            "read upsert cannot judge expiresAt; clock-aware read joins while it has not passed",
            doc("_id: 'L', writer: '', readers: ['R']").append("expiresAt", future()),
            acquire(C.readAcquire(), true),
            true,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['R', 'C'], expiresAt: '<date>',"
                + " holders: [{c: 'C', s: 'S'}], leases: {S: {ms: 30000, at: '<date>'}}}"));
    t.add(
        new Case(
            "clock-aware read does not join a lock whose expiresAt has passed",
            doc("_id: 'L', writer: '', readers: ['R']").append("expiresAt", past()),
            acquire(C.readAcquire(), true),
            false,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['R'], expiresAt: '<date>'}"));
    Document markedReaders =
        doc("_id: 'L', writer: '', readers: ['R']")
            .append("writerWaiting", mark("O", future(), 2_000));
    t.add(
        new Case(
            "a fresh mark keeps a new reader out",
            markedReaders,
            acquire(C.readAcquire(), true),
            false,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['R'],"
                + " writerWaiting: {client: 'O', at: '<date>', ttlMs: 2000}}"));
    t.add(
        new Case(
            "without writer preference a mark keeps nobody out",
            markedReaders,
            run(C_NO_PREFERENCE.readAcquire().upsert()),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['R', 'C'],"
                + " writerWaiting: {client: 'O', at: '<date>', ttlMs: 2000},"
                + " holders: [{c: 'C', s: 'S'}], leases: {S: {ms: 30000, at: '<date>'}}}"));
    t.add(
        new Case(
            "the writer may read (downgrade)",
            doc("_id: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}]"),
            run(C.readAcquire().upsert()),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: ['C'], holders: [{c: 'C', s: 'S'}],"
                + " leases: {S: {ms: 30000, at: '<date>'}}}"));
    t.add(
        new Case(
            "read takeover of an expired lock",
            expiredWriter,
            run(C.readTakeover()),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['C'], holders: [{c: 'C', s: 'S'}],"
                + " leases: {S: {ms: 30000, at: '<date>'}}}"));
    // ---- release
    t.add(
        new Case(
            "the only holder's release deletes the document",
            doc("_id: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}]"),
            run(C.releaseByDelete(true, false)),
            Outcome.APPLIED,
            null));
    t.add(
        new Case(
            "a waiting writer's mark keeps the document",
            doc("_id: 'L', writer: 'C', readers: []")
                .append("writerWaiting", mark("O", future(), 2_000)),
            run(C.releaseByDelete(true, false)),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: [],"
                + " writerWaiting: {client: 'O', at: '<date>', ttlMs: 2000}}"));
    t.add(
        new Case(
            "a reader's release drops its entry and its session's lease",
            doc("_id: 'L', writer: '', readers: ['R', 'C'],"
                    + " holders: [{c: 'R', s: 'SR'}, {c: 'C', s: 'S'}]")
                .append("leases", new Document("SR", lease(future())).append("S", lease(future()))),
            run(C.releaseByUpdate(false, EntryAfterRelease.DROP_WITH_LEASE, false)),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['R'], holders: [{c: 'R', s: 'SR'}],"
                + " leases: {SR: {at: '<date>', ms: 30000}}}"));
    t.add(
        new Case(
            "the lease stays while another client of the session holds",
            doc("_id: 'L', writer: '', readers: ['D', 'C'],"
                    + " holders: [{c: 'D', s: 'S'}, {c: 'C', s: 'S'}]")
                .append("leases", new Document("S", lease(future()))),
            run(C.releaseByUpdate(false, EntryAfterRelease.DROP_WITH_LEASE, false)),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['D', 'C'],"
                + " holders: [{c: 'D', s: 'S'}, {c: 'C', s: 'S'}],"
                + " leases: {S: {at: '<date>', ms: 30000}}}"));
    t.add(
        new Case(
            "a write release that keeps the entry (the client still reads)",
            doc("_id: 'L', writer: 'C', readers: ['C'], holders: [{c: 'C', s: 'S'}], fence: 4"),
            run(C.releaseByUpdate(true, EntryAfterRelease.KEEP, false)),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['C'], holders: [{c: 'C', s: 'S'}]}"));
    t.add(
        new Case(
            "a read release keeps the entry of a client the document names as writer",
            doc("_id: 'L', writer: 'C', readers: ['C'], holders: [{c: 'C', s: 'S'}]")
                .append("leases", new Document("S", lease(future()))),
            run(C.releaseByUpdate(false, EntryAfterRelease.DROP, false)),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: ['C'], holders: [{c: 'C', s: 'S'}],"
                + " leases: {S: {at: '<date>', ms: 30000}}}"));
    t.add(
        new Case(
            "a client the document names as writer re-acquires whatever mark waits (a resend)",
            doc("_id: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}]")
                .append("writerWaiting", mark("O", future(), 2_000)),
            run(C.writeAcquire().upsert()),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}],"
                + " leases: {S: {ms: 30000, at: '<date>'}}}"));
    t.add(
        new Case(
            "a lost hold's clean-up leaves a successor alone",
            doc("_id: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'OTHER'}]"),
            run(C.releaseByUpdate(true, EntryAfterRelease.DROP, true)),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'OTHER'}]}"));
    deleteIfFreeCases(t);
    // ---- eviction, sweep
    Document expiredLease = doc(HELD_BY_W).append("leases", new Document("SW", lease(new Date(0))));
    t.add(
        new Case(
            "eviction of a writer whose lease expired by the server's clock",
            expiredLease,
            run(C.evict(LockDocument.of(expiredLease), Set.of("SW"))),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: [], holders: [], leases: {}}"));
    Document aliveLease = doc(HELD_BY_W).append("leases", new Document("SW", lease(new Date())));
    t.add(
        new Case(
            "no eviction of a lease the server's clock finds alive",
            aliveLease,
            run(C.evict(LockDocument.of(aliveLease), Set.of("SW"))),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}],"
                + " leases: {SW: {at: '<date>', ms: 30000}}}"));
    t.add(
        new Case(
            "orphan lease keys are swept",
            doc(HELD_BY_W)
                .append("leases", new Document("SW", lease(future())).append("X", lease(future()))),
            run(C.sweepOrphanLeases(Set.of("X"))),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}],"
                + " leases: {SW: {at: '<date>', ms: 30000}}}"));
    // ---- fencing, admin
    t.add(
        new Case(
            "the fencing counter starts at 1 and keeps its own _id",
            null,
            p -> p.findAndUpdate(C.fencingCounter()).get("token"),
            1L,
            null));
    t.add(
        new Case(
            "the stamp needs this session's live lease",
            doc("_id: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}]")
                .append("leases", new Document("S", lease(new Date(0)))),
            run(C.stampFence(9)),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}],"
                + " leases: {S: {at: '<date>', ms: 30000}}}"));
    t.add(
        new Case(
            "the override upsert meets another writer: duplicate key",
            doc(HELD_BY_W),
            run(C.overrideWriter("", true)),
            Outcome.DUPLICATE_KEY,
            "{_id: 'L', lockID: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}]}"));
    t.add(
        new Case(
            "the override replaces the writer it names",
            doc(HELD_BY_W),
            run(C.overrideWriter("W", false)),
            Outcome.APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'C', readers: [], holders: [{c: 'W', s: 'SW'}]}"));
    adminCases(t);
    return t;
  }

  /**
   * The tidy-up after a read release by update left the lock free: it runs a round trip after that
   * release, so whatever another client wrote meanwhile (an acquire in either mode, by this library
   * or by mongo-lock-node, or a waiting writer's mark) must keep the document.
   */
  private static void deleteIfFreeCases(List<Case> t) {
    t.add(
        new Case(
            "delete if free removes what two readers releasing at once left",
            doc("_id: 'L', writer: '', readers: [], holders: []").append("leases", new Document()),
            run(C.deleteIfFree()),
            Outcome.APPLIED,
            null));
    t.add(
        new Case(
            "delete if free removes a free lock a Node client left (no lease fields)",
            doc("_id: ObjectId('000000000000000000000001'), writer: '', readers: []"),
            run(C.deleteIfFree()),
            Outcome.APPLIED,
            null));
    t.add(
        new Case(
            "delete if free leaves a lock a reader joined meanwhile",
            doc("_id: 'L', writer: '', readers: ['R'], holders: [{c: 'R', s: 'SR'}]"),
            run(C.deleteIfFree()),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['R'], holders: [{c: 'R', s: 'SR'}]}"));
    t.add(
        new Case(
            "delete if free leaves a lock a writer took meanwhile",
            doc(HELD_BY_W),
            run(C.deleteIfFree()),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}]}"));
    t.add(
        new Case(
            "delete if free leaves a lock a Node reader joined meanwhile (no entry)",
            doc("_id: 'L', writer: '', readers: ['N'], holders: []"),
            run(C.deleteIfFree()),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: ['N'], holders: []}"));
    t.add(
        new Case(
            "delete if free leaves a lock the seed's override made a writer of (no entry)",
            doc("_id: 'L', writer: 'O', readers: [], holders: []"),
            run(C.deleteIfFree()),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: 'O', readers: [], holders: []}"));
    t.add(
        new Case(
            "delete if free leaves a waiting writer's mark",
            doc("_id: 'L', writer: '', readers: [], holders: []")
                .append("writerWaiting", mark("O", future(), 2_000)),
            run(C.deleteIfFree()),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: '', readers: [], holders: [],"
                + " writerWaiting: {client: 'O', at: '<date>', ttlMs: 2000}}"));
    t.add(
        new Case(
            "delete if free leaves fields it cannot read as free",
            doc("_id: 'L', writer: 5, readers: 'R', holders: []"),
            run(C.deleteIfFree()),
            Outcome.NOT_APPLIED,
            "{_id: 'L', lockID: 'L', writer: 5, readers: 'R', holders: []}"));
    Document counter =
        new Document("_id", new Document("fencing", "L"))
            .append("lockID", new Document("fencing", "L"))
            .append("token", 3L);
    t.add(
        new Case(
            "delete if free cannot match a fencing counter",
            counter,
            run(C.deleteIfFree()),
            Outcome.NOT_APPLIED,
            null));
  }

  private static Function<LockProtocol, Object> admin(Function<AdminStore, Object> rule) {
    return p -> rule.apply(new AdminStore(p.collection()));
  }

  /** A one-client forced release rendered from {@code observed}, sent; the before-image or null. */
  private static Function<LockProtocol, Object> releaseClient(String client, Document observed) {
    return admin(
        a -> {
          Document before = a.forceRelease(LockCommands.forceReleaseClient("L", client, observed));
          return before == null ? "nothing matched" : "released";
        });
  }

  /** LockAdmin's commands: the reads with the server's clock and the forced releases. */
  private static void adminCases(List<Case> t) {
    Document counter =
        new Document("_id", new Document("fencing", "L"))
            .append("lockID", new Document("fencing", "L"))
            .append("token", 3L);
    t.add(
        new Case(
            "the admin's read adds the server's clock to a lock document",
            doc(HELD_BY_W),
            admin(a -> a.lock("L").serverTime() != null && a.lock("L").documents().size() == 1),
            true,
            "{_id: 'L', lockID: 'L', writer: 'W', readers: [], holders: [{c: 'W', s: 'SW'}]}"));
    t.add(
        new Case(
            "the admin's listing leaves out a fencing counter, whose token it reads apart",
            counter,
            admin(
                a ->
                    a.locks(10).documents().size()
                        + " locks, token "
                        + a.fencingTokens(List.of("L")).get("L")),
            "0 locks, token 3",
            null));
    t.add(
        new Case(
            "force release deletes a lock whatever it holds",
            doc(HELD_BY_W)
                .append("leases", new Document("SW", lease(future())))
                .append("writerWaiting", mark("O", future(), 2_000))
                .append("fence", 4L),
            admin(a -> a.forceRelease(LockCommands.forceRelease("L")).get("writer")),
            "W",
            null));
    t.add(
        new Case(
            "force release cannot match a fencing counter",
            counter,
            admin(a -> a.forceRelease(LockCommands.forceRelease("L"))),
            null,
            null));
    Document twoReaders =
        doc("_id: 'L', writer: '', readers: ['C', 'R'],"
                + " holders: [{c: 'C', s: 'S'}, {c: 'R', s: 'SR'}]")
            .append("leases", new Document("S", lease(future())).append("SR", lease(future())));
    t.add(
        new Case(
            "force release of a reader pulls it, its entry and its session's lease",
            twoReaders,
            releaseClient("C", twoReaders),
            "released",
            "{_id: 'L', lockID: 'L', writer: '', readers: ['R'], holders: [{c: 'R', s: 'SR'}],"
                + " leases: {SR: {at: '<date>', ms: 30000}}}"));
    Document writerW =
        doc(HELD_BY_W).append("leases", new Document("SW", lease(future()))).append("fence", 4L);
    t.add(
        new Case(
            "force release of the writer clears its role, fence, entry and lease",
            writerW,
            releaseClient("W", writerW),
            "released",
            "{_id: 'L', lockID: 'L', writer: '', readers: [], holders: [], leases: {}}"));
    Document sharedSession =
        doc("_id: 'L', writer: '', readers: ['C', 'D'],"
                + " holders: [{c: 'C', s: 'S'}, {c: 'D', s: 'S'}]")
            .append("leases", new Document("S", lease(future())));
    t.add(
        new Case(
            "force release of a reader keeps a lease another client's entry names",
            sharedSession,
            releaseClient("C", sharedSession),
            "released",
            "{_id: 'L', lockID: 'L', writer: '', readers: ['D'], holders: [{c: 'D', s: 'S'}],"
                + " leases: {S: {at: '<date>', ms: 30000}}}"));
    t.add(
        new Case(
            "force release of a writer that released meanwhile matches nothing",
            doc("_id: 'L', writer: '', readers: ['W'], holders: [{c: 'W', s: 'SW'}]"),
            releaseClient("W", writerW),
            "nothing matched",
            "{_id: 'L', lockID: 'L', writer: '', readers: ['W'], holders: [{c: 'W', s: 'SW'}]}"));
    Document oneReader =
        doc("_id: 'L', writer: '', readers: ['C'], holders: [{c: 'C', s: 'S'}]")
            .append("leases", new Document("S", lease(future())));
    t.add(
        new Case(
            "force release whose session gained another client's entry meanwhile matches nothing",
            sharedSession,
            releaseClient("C", oneReader),
            "nothing matched",
            "{_id: 'L', lockID: 'L', writer: '', readers: ['C', 'D'],"
                + " holders: [{c: 'C', s: 'S'}, {c: 'D', s: 'S'}],"
                + " leases: {S: {at: '<date>', ms: 30000}}}"));
    t.add(
        new Case(
            "force release of a reader of a Node lock (no lease fields) pulls only the reader",
            doc("_id: 'L', writer: '', readers: ['C', 'N']"),
            releaseClient("C", doc("_id: 'L', writer: '', readers: ['C', 'N']")),
            "released",
            "{_id: 'L', lockID: 'L', writer: '', readers: ['N']}"));
  }

  private static Document mark(String client, Date at, long ttl) {
    return new Document("client", client).append("at", at).append("ttlMs", ttl);
  }

  /**
   * The shapes of the commands the table sends, reviewed when they change: run with {@code
   * -Dmongolock.updateShapes=true} to rewrite the listing, and read its diff.
   */
  private static final Path GOLDEN =
      Path.of("src/test/resources/io/github/mongolock/internal/store/command-shapes.txt");

  @TestFactory
  Stream<DynamicTest> eachRuleOnEachStoredDocument(MongoDatabase db, TestMongo mongo) {
    CommandShapes shapes = mongo.isStrict() ? CommandShapes.forStandalone() : new CommandShapes();
    MongoClient protocolClient = mongo.newClient(shapes);
    MongoDatabase viaShapes = protocolClient.getDatabase(db.getName());
    Stream<DynamicTest> rules =
        cases().stream()
            .map(
                c ->
                    DynamicTest.dynamicTest(
                        c.name(),
                        () -> {
                          String name = "protocol" + COLLECTIONS.incrementAndGet();
                          MongoCollection<Document> collection = db.getCollection(name);
                          new IndexSetup().ensure(collection);
                          if (c.before() != null) {
                            collection.insertOne(c.before());
                          }
                          LockProtocol protocol =
                              new LockProtocol(
                                  viaShapes.getCollection(name),
                                  WriteConcern.MAJORITY,
                                  ReadConcern.MAJORITY);
                          Object outcome = c.rule().apply(protocol);
                          assertEquals(c.expected(), outcome, c.name());
                          Document after = collection.find(new Document("lockID", "L")).first();
                          assertEquals(
                              c.after() == null ? null : normalise(Document.parse(c.after())),
                              normalise(after),
                              c.name());
                        }));
    DynamicTest listing =
        DynamicTest.dynamicTest(
            "the commands' shapes break no mongod rule and match the reviewed listing",
            () -> {
              protocolClient.close();
              shapes.assertNoViolations();
              List<String> sorted =
                  shapes.shapes().stream()
                      .map(sh -> sh.replaceAll("protocol[0-9]+", "locks"))
                      .distinct()
                      .sorted()
                      .toList();
              if (Boolean.getBoolean("mongolock.updateShapes")) {
                Files.createDirectories(GOLDEN.getParent());
                Files.write(GOLDEN, sorted);
              }
              assertEquals(
                  String.join("\n", Files.readAllLines(GOLDEN)),
                  String.join("\n", sorted),
                  "the protocol's commands changed: review them, then rerun with"
                      + " -Dmongolock.updateShapes=true to update "
                      + GOLDEN);
            });
    return Stream.concat(rules, Stream.of(listing));
  }

  /** Dates as "&lt;date&gt;", whole numbers as longs: the table states shapes, not readings. */
  private static Document normalise(Document doc) {
    if (doc == null) {
      return null;
    }
    Document out = new Document();
    for (Map.Entry<String, Object> e : doc.entrySet()) {
      out.put(e.getKey(), normaliseValue(e.getValue()));
    }
    return out;
  }

  private static Object normaliseValue(Object v) {
    if (v instanceof Date) {
      return "<date>";
    }
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    if (v instanceof Document d) {
      return normalise(d);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(o -> out.add(normaliseValue(o)));
      return out;
    }
    return v;
  }
}
