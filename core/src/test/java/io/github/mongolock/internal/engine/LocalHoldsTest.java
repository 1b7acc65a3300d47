package io.github.mongolock.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.mongolock.internal.engine.LocalHolds.Entry;
import io.github.mongolock.internal.engine.LocalHolds.Exit;
import io.github.mongolock.internal.engine.LocalHolds.Turn;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The local half of the lock without MongoDB and without threads: each transition's decision, the
 * way the engine asks for them (threads are only identities here).
 */
class LocalHoldsTest {

  private final LocalHolds holds = new LocalHolds("L", "C");
  private final Thread t1 = new Thread("t1");
  private final Thread t2 = new Thread("t2");

  /** The engine's path to a MongoDB hold: enter, turn, MongoDB said yes. */
  private void acquire(ModeRule mode, Thread t) {
    assertEquals(Entry.WAIT_FOR_TURN, mode.enter(holds, t));
    assertEquals(Turn.MUST_ACQUIRE, mode.takeTurn(holds, t));
    mode.acquired(holds, t, true);
  }

  @Test
  void aFirstWriterMustAskMongoAndThenReentersLocally() {
    acquire(ModeRule.WRITE, t1);
    assertTrue(holds.isWriteLockedBy(t1));
    assertEquals(Entry.REENTERED, ModeRule.WRITE.enter(holds, t1));
    assertEquals(Exit.Kind.STILL_HELD, ModeRule.WRITE.exit(holds, t1).kind());
    Exit last = ModeRule.WRITE.exit(holds, t1);
    assertEquals(Exit.Kind.MUST_RELEASE, last.kind());
    assertFalse(last.keepEntry(), "no read hold: the lease entry goes");
    ModeRule.WRITE.released(holds);
    assertTrue(holds.idle());
  }

  @Test
  void anotherThreadOfTheClientWaitsForTheWriterAndMayNotReleaseIt() {
    acquire(ModeRule.WRITE, t1);
    assertEquals(Entry.WAIT_FOR_TURN, ModeRule.WRITE.enter(holds, t2));
    assertEquals(Turn.NOT_YET, ModeRule.WRITE.takeTurn(holds, t2));
    assertEquals(Exit.Kind.NOT_OWNER, ModeRule.WRITE.exit(holds, t2).kind());
    ModeRule.WRITE.stopWaiting(holds); // t2 timed out
    assertEquals(Exit.Kind.MUST_RELEASE, ModeRule.WRITE.exit(holds, t1).kind());
    ModeRule.WRITE.released(holds);
    assertTrue(holds.idle(), "the timed-out waiter left nothing behind");
  }

  @Test
  void upgradeIsRefusedAtOnce() {
    acquire(ModeRule.READ, t1);
    assertEquals(Entry.UPGRADE_REFUSED, ModeRule.WRITE.enter(holds, t1));
  }

  @Test
  void downgradeAsksMongoForTheReadHoldAndTheWriteReleaseKeepsTheEntry() {
    acquire(ModeRule.WRITE, t1);
    assertEquals(Entry.WAIT_FOR_TURN, ModeRule.READ.enter(holds, t1));
    assertEquals(Turn.MUST_ACQUIRE, ModeRule.READ.takeTurn(holds, t1), "the writer may read");
    assertTrue(holds.holdsOtherInMongo(ModeRule.READ), "an undo must keep the write's entry");
    ModeRule.READ.acquired(holds, t1, true);
    Exit write = ModeRule.WRITE.exit(holds, t1);
    assertEquals(Exit.Kind.MUST_RELEASE, write.kind());
    assertTrue(write.keepEntry(), "the client still reads under the same entry");
    ModeRule.WRITE.released(holds);
    assertTrue(holds.isReadLockedBy(t1));
  }

  @Test
  void aSecondReaderOfTheClientSharesTheMongoHold() {
    acquire(ModeRule.READ, t1);
    assertEquals(Entry.WAIT_FOR_TURN, ModeRule.READ.enter(holds, t2));
    assertEquals(Turn.JOINED, ModeRule.READ.takeTurn(holds, t2));
    assertEquals(Exit.Kind.STILL_HELD, ModeRule.READ.exit(holds, t1).kind(), "t2 still reads");
    assertEquals(Exit.Kind.MUST_RELEASE, ModeRule.READ.exit(holds, t2).kind());
  }

  @Test
  void aWaitingWriterKeepsNewReadersOfTheClientOut() {
    acquire(ModeRule.READ, t1);
    assertEquals(Entry.WAIT_FOR_TURN, ModeRule.WRITE.enter(holds, t2));
    Thread t3 = new Thread("t3");
    assertEquals(Entry.WAIT_FOR_TURN, ModeRule.READ.enter(holds, t3));
    assertEquals(Turn.NOT_YET, ModeRule.READ.takeTurn(holds, t3), "writer preference, locally");
  }

  @Test
  void aThreadWaitsWhileTheClientsMongoCallIsInFlight() {
    assertEquals(Entry.WAIT_FOR_TURN, ModeRule.READ.enter(holds, t1));
    assertEquals(Turn.MUST_ACQUIRE, ModeRule.READ.takeTurn(holds, t1));
    assertEquals(Entry.WAIT_FOR_TURN, ModeRule.READ.enter(holds, t2));
    assertEquals(Turn.NOT_YET, ModeRule.READ.takeTurn(holds, t2), "t1 is asking MongoDB");
    ModeRule.READ.acquired(holds, t1, false);
    assertEquals(Turn.MUST_ACQUIRE, ModeRule.READ.takeTurn(holds, t2), "t1 was refused: t2 asks");
  }

  @Test
  void aLostHoldIsReportedOnceForEachModeAndEveryReleaseSaysSo() {
    acquire(ModeRule.WRITE, t1);
    assertEquals(Entry.WAIT_FOR_TURN, ModeRule.READ.enter(holds, t1));
    ModeRule.READ.takeTurn(holds, t1);
    ModeRule.READ.acquired(holds, t1, true);
    assertEquals(List.of(ModeRule.WRITE, ModeRule.READ), holds.markLost("lease expired"));
    assertEquals(List.of(), holds.markLost("again"), "told once");
    assertFalse(holds.isWriteLockedBy(t1));
    assertEquals(Entry.LOST, ModeRule.WRITE.enter(holds, t1));
    Exit write = ModeRule.WRITE.exit(holds, t1);
    assertTrue(write.wasLost());
    ModeRule.WRITE.released(holds);
    assertTrue(holds.isLost(), "still lost while the read hold is there");
    assertTrue(ModeRule.READ.exit(holds, t1).wasLost());
    ModeRule.READ.released(holds);
    assertFalse(holds.isLost(), "forgotten once nothing is held");
    assertTrue(holds.idle());
  }

  @Test
  void withNothingHeldLocallyAReleaseAsksMongoDB() {
    assertEquals(Exit.Kind.NOT_LOCAL, ModeRule.WRITE.exit(holds, t1).kind());
    assertEquals(Exit.Kind.NOT_LOCAL, ModeRule.READ.exit(holds, t1).kind());
  }

  @Test
  void tagsComeBackLastInFirstOutPerThreadAndMode() {
    acquire(ModeRule.WRITE, t1);
    holds.pushTag(ModeRule.WRITE, t1, "w1");
    ModeRule.WRITE.enter(holds, t1);
    holds.pushTag(ModeRule.WRITE, t1, null); // a hold acquired while nobody listened
    ModeRule.WRITE.enter(holds, t1);
    holds.pushTag(ModeRule.WRITE, t1, "w3");
    acquire(ModeRule.READ, t1); // a downgrade: the read holds have tags of their own
    holds.pushTag(ModeRule.READ, t1, "r1");
    assertEquals("w3", holds.popTag(ModeRule.WRITE, t1, null));
    assertEquals(null, holds.popTag(ModeRule.WRITE, t1, null), "the untagged hold's own release");
    assertEquals("r1", holds.popTag(ModeRule.READ, t1, null));
    assertEquals("w1", holds.popTag(ModeRule.WRITE, t1, null));
    assertEquals(null, holds.popTag(ModeRule.WRITE, t1, null), "nothing left");
  }

  @Test
  void untaggedHoldsBelowEveryTaggedOneStoreNothing() {
    acquire(ModeRule.READ, t1);
    holds.pushTag(ModeRule.READ, t1, null); // the first hold: nobody listened
    assertEquals(Turn.JOINED, joinRead(t2));
    holds.pushTag(ModeRule.READ, t2, "t2-first");
    ModeRule.READ.enter(holds, t1);
    holds.pushTag(ModeRule.READ, t1, "t1-second");
    assertEquals("t1-second", holds.popTag(ModeRule.READ, t1, null));
    assertEquals(null, holds.popTag(ModeRule.READ, t1, null), "the first hold had no tag");
    assertEquals("t2-first", holds.popTag(ModeRule.READ, t2, null), "each thread its own tags");
  }

  @Test
  void aTagTheReleaseNamesComesBackWhereverItIsAndTheOthersKeepTheirOrder() {
    acquire(ModeRule.READ, t1);
    holds.pushTag(ModeRule.READ, t1, "oldest");
    ModeRule.READ.enter(holds, t1);
    holds.pushTag(ModeRule.READ, t1, "middle");
    ModeRule.READ.enter(holds, t1);
    holds.pushTag(ModeRule.READ, t1, "newest");
    assertEquals(
        "middle", holds.popTag(ModeRule.READ, t1, "middle"), "a handle closed out of order");
    assertEquals("newest", holds.popTag(ModeRule.READ, t1, "gone"), "not there: the newest");
    assertEquals("oldest", holds.popTag(ModeRule.READ, t1, null));
    assertEquals(null, holds.popTag(ModeRule.READ, t1, null), "nothing left");
  }

  private Turn joinRead(Thread t) {
    assertEquals(Entry.WAIT_FOR_TURN, ModeRule.READ.enter(holds, t));
    return ModeRule.READ.takeTurn(holds, t);
  }
}
