package io.github.mongolock.internal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.mongolock.internal.store.LockCommands.EntryAfterRelease;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/** The exact BSON of the protocol's commands, without a server. */
class LockCommandsTest {

  private final LockCommands commands = new LockCommands("L", "C", "S", 30_000, null, 2_000, true);

  /** Every command this lock can send, for the checks that hold for all of them. */
  private List<LockCommand> all(LockCommands c) {
    List<LockCommand> list = new ArrayList<>();
    list.add(c.writeAcquire().upsert());
    list.add(c.writeAcquire().clockAware());
    list.add(c.readAcquire().upsert());
    list.add(c.readAcquire().clockAware());
    list.add(c.readTakeover());
    list.add(c.markWriterWaiting());
    list.add(c.clearWriterWaiting());
    for (boolean write : new boolean[] {true, false}) {
      for (boolean own : new boolean[] {true, false}) {
        list.add(c.releaseByDelete(write, own));
        for (EntryAfterRelease after : EntryAfterRelease.values()) {
          list.add(c.releaseByUpdate(write, after, own));
        }
      }
    }
    list.add(c.deleteIfFree());
    list.add(c.fencingCounter());
    list.add(c.stampFence(7));
    list.add(c.overrideWriter("old", true));
    list.add(c.overrideWriter("old", false));
    list.add(c.sweepOrphanLeases(Set.of("X")));
    list.add(c.read());
    list.add(LockCommands.renewal("S", List.of("L")));
    list.add(LockCommands.aliveLeases("S", List.of("L")));
    return list;
  }

  private static boolean containsExpr(BsonValue value) {
    if (value instanceof BsonDocument d) {
      for (var e : d.entrySet()) {
        if (e.getKey().equals("$expr") || containsExpr(e.getValue())) {
          return true;
        }
      }
    } else if (value instanceof BsonArray a) {
      for (BsonValue v : a) {
        if (containsExpr(v)) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void noUpsertFilterContainsExprWhateverTheOptions() {
    for (LockCommands c :
        List.of(
            commands,
            new LockCommands("L", "C", "S", 30_000, new Date(0), 2_000, false),
            new LockCommands("L", "C", "S", 30_000, new Date(0), 2_000, true))) {
      int upserts = 0;
      for (LockCommand command : all(c)) {
        if (command.upsert()) {
          upserts++;
          assertFalse(containsExpr(command.filter()), command.toString());
        }
      }
      assertEquals(4, upserts, "write and read acquire, fencing counter, override with upsert");
    }
  }

  @Test
  void everyAcquireUpsertStatesTheFreeConditionBesideTheLockID() {
    // mongod turns a duplicate key on a query that is only {lockID: X} into an update of the
    // existing document: such an acquire would take a held lock
    for (LockCommand upsert :
        List.of(commands.writeAcquire().upsert(), commands.readAcquire().upsert())) {
      BsonArray and = upsert.filter().getArray("$and");
      assertEquals(BsonDocument.parse("{lockID: 'L'}"), and.get(0));
      assertTrue(and.size() > 1, upsert.toString());
    }
  }

  @Test
  void writeAcquireUpsert() {
    LockCommand c = commands.writeAcquire().upsert();
    assertEquals(
        BsonDocument.parse(
            "{$and: [{lockID: 'L'},"
                + " {$or: [{readers: {$size: 0}}, {readers: null}]},"
                + " {$or: [{writer: 'C'}, {$and: [{$or: [{writer: null}, {writer: ''}]},"
                + "  {$or: [{writerWaiting: {$exists: false}}, {'writerWaiting.client': 'C'}]}]}]}]}"),
        c.filter());
    assertEquals(
        BsonDocument.parse(
            "{$set: {writer: 'C', readers: [], holders: [{c: 'C', s: 'S'}],"
                + " 'leases.S.ms': {$numberLong: '30000'}},"
                + " $unset: {writerWaiting: '', fence: '', expiresAt: ''},"
                + " $currentDate: {'leases.S.at': true},"
                + " $setOnInsert: {_id: 'L'}}"),
        c.update());
    assertTrue(c.upsert() && c.resendSafe());
  }

  @Test
  void writeAcquireClockAwareJudgesTheMarkAndExpiresAtWithTheServersClock() {
    LockCommand c = commands.writeAcquire().clockAware();
    assertFalse(c.upsert());
    assertEquals(
        BsonDocument.parse(
            "{$and: [{lockID: 'L'}, {$or: ["
                + " {$and: [{$or: [{readers: {$size: 0}}, {readers: null}]},"
                + "  {$or: [{writer: 'C'}, {$and: [{$or: [{writer: null}, {writer: ''}]},"
                + "  {$or: [{writerWaiting: {$exists: false}}, {'writerWaiting.client': 'C'},"
                + "   {$expr: {$lt: [{$add: ['$writerWaiting.at', '$writerWaiting.ttlMs']},"
                + " '$$NOW']}}]}]}]}]},"
                + " {$and: [{expiresAt: {$type: 'date'}},"
                + "  {$expr: {$lt: ['$expiresAt', '$$NOW']}}]}]}]}"),
        c.filter());
    assertEquals(commands.writeAcquire().upsert().update(), c.update());
  }

  @Test
  void readAcquireUpsert() {
    LockCommand c = commands.readAcquire().upsert();
    assertEquals(
        BsonDocument.parse(
            "{$and: [{lockID: 'L'}, {$or: [{writer: null}, {writer: ''}, {writer: 'C'}]},"
                + " {expiresAt: {$not: {$type: 'date'}}},"
                + " {$or: [{writerWaiting: {$exists: false}}, {'writerWaiting.client': 'C'},"
                + "  {readers: 'C'}, {writer: 'C'}]}]}"),
        c.filter());
    assertEquals(
        BsonDocument.parse(
            "{$addToSet: {readers: 'C', holders: {c: 'C', s: 'S'}},"
                + " $set: {'leases.S.ms': {$numberLong: '30000'}},"
                + " $currentDate: {'leases.S.at': true},"
                + " $setOnInsert: {_id: 'L', writer: ''}}"),
        c.update());
  }

  @Test
  void readAcquireWithoutWriterPreferenceIgnoresTheMark() {
    LockCommands noPreference = new LockCommands("L", "C", "S", 30_000, null, 2_000, false);
    assertFalse(noPreference.readAcquire().upsert().filter().toJson().contains("writerWaiting"));
    assertFalse(
        noPreference.readAcquire().clockAware().filter().toJson().contains("writerWaiting"));
  }

  @Test
  void releaseDropsOnlyThisSessionsEntryAndItsLeaseWhereNoOtherEntryOfTheSessionIsLeft() {
    LockCommand c = commands.releaseByUpdate(false, EntryAfterRelease.DROP_WITH_LEASE, false);
    assertEquals(
        BsonDocument.parse(
            "{$and: [{lockID: 'L'}, {readers: 'C'}, {writer: {$ne: 'C'}},"
                + " {holders: {$not: {$elemMatch: {$and: [{s: 'S'}, {c: {$ne: 'C'}}]}}}}]}"),
        c.filter());
    assertEquals(
        BsonDocument.parse(
            "{$unset: {'leases.S': ''}, $pull: {readers: 'C', holders: {c: 'C', s: 'S'}}}"),
        c.update());
    LockCommand keep = commands.releaseByUpdate(true, EntryAfterRelease.KEEP, false);
    assertEquals(BsonDocument.parse("{$and: [{lockID: 'L'}, {writer: 'C'}]}"), keep.filter());
    assertEquals(BsonDocument.parse("{$set: {writer: ''}, $unset: {fence: ''}}"), keep.update());
  }

  @Test
  void evictionChecksEachLeaseWithTheServersClockAndRemovesItsKey() {
    Document stored =
        new Document("lockID", "L")
            .append("writer", "W")
            .append("readers", List.of("R"))
            .append(
                "holders",
                List.of(
                    new Document("c", "W").append("s", "S1"),
                    new Document("c", "R").append("s", "S2")));
    LockCommand c = commands.evict(LockDocument.of(stored), Set.of("S1"));
    assertEquals(
        BsonDocument.parse(
            "{$and: [{lockID: 'L'},"
                + " {$expr: {$lt: [{$add: ['$leases.S1.at', '$leases.S1.ms']}, '$$NOW']}},"
                + " {holders: {$not: {$elemMatch: {$and: [{c: 'W'}, {s: {$nin: ['S1']}}]}}}},"
                + " {writer: 'W'}]}"),
        c.filter());
    assertEquals(
        BsonDocument.parse(
            "{$unset: {'leases.S1': '', fence: ''}, $pull: {holders: {s: {$in: ['S1']}}},"
                + " $set: {writer: ''}, $pullAll: {readers: ['W']}}"),
        c.update());
    assertNull(commands.evict(LockDocument.of(stored), Set.of()));
  }

  @Test
  void fencingCounterIsAnUpsertOnTheCounterKeyOnly() {
    LockCommand c = commands.fencingCounter();
    assertEquals(BsonDocument.parse("{lockID: {fencing: 'L'}}"), c.filter());
    assertEquals(
        BsonDocument.parse(
            "{$inc: {token: {$numberLong: '1'}}, $setOnInsert: {_id: {fencing: 'L'}}}"),
        c.update());
    assertFalse(c.resendSafe(), "a resent $inc would skip a token");
  }

  @Test
  void orphanLeasesAreSweptOnlyWhereStillNoEntryNamesThem() {
    LockCommand c = commands.sweepOrphanLeases(Set.of("X"));
    assertEquals(
        BsonDocument.parse("{$and: [{lockID: 'L'}, {'holders.s': {$nin: ['X']}}]}"), c.filter());
    assertEquals(BsonDocument.parse("{$unset: {'leases.X': ''}}"), c.update());
    assertNull(commands.sweepOrphanLeases(Set.of()));
  }
}
