package io.github.mongolock.internal.engine;

import io.github.mongolock.internal.lease.LeaseKeeper;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What the threads of this JVM hold of one lock for one client ID, and what they wait for: the
 * local half of the lock, which works like a {@link
 * java.util.concurrent.locks.ReentrantReadWriteLock} (counted re-entry per thread, downgrade
 * allowed, upgrade refused, waiting writers keep new readers of the same client out). Only the
 * first reader and the last reader of a client, and the writer, talk to MongoDB.
 *
 * <p>Each hold may carry a tag of the API's (its listeners' watches of that hold), kept per thread
 * and mode where the re-entry counts are: {@link #pushTag} at every granted acquire, {@link
 * #popTag} at every release of one hold, so that a thread's nested holds give their tags back last
 * in, first out (a handle's release names its own tag, which comes back wherever it is). Only
 * tagged holds cost anything: a hold acquired without a tag while the thread has no tagged hold of
 * the mode stores nothing.
 *
 * <p>Every transition returns what the caller must do next ({@link Entry}, {@link Turn}, {@link
 * Exit}); nothing here waits, signals or talks to MongoDB, so the rules are tested without either.
 * Not thread-safe: the {@link LockSite}'s mutex guards every call.
 */
public final class LocalHolds {

  /** The first step of an acquire. */
  public enum Entry {
    /** The thread already held the mode: one more hold, nothing to ask MongoDB. */
    REENTERED,
    /** The thread holds the mode, but the hold was lost. */
    LOST,
    /** The thread holds only the read lock and asked for the write lock. */
    UPGRADE_REFUSED,
    /** The thread waits for its turn ({@link #takeWriteTurn}, {@link #takeReadTurn}). */
    WAIT_FOR_TURN
  }

  /** Whether a waiting acquire may go on. */
  public enum Turn {
    NOT_YET,
    /** The thread's turn: ask MongoDB (the holds are busy until {@code acquired}). */
    MUST_ACQUIRE,
    /** Another thread of the client already reads in MongoDB: the thread shares that hold. */
    JOINED,
    /** A downgrade of a write hold that was lost. */
    LOST
  }

  /** The first step of a release. */
  public record Exit(Kind kind, boolean keepEntry, boolean wasLost) {
    public enum Kind {
      /** No thread of this JVM holds the mode for the client: release what MongoDB says. */
      NOT_LOCAL,
      /** Another thread of this client holds (or is acquiring) it, not the caller. */
      NOT_OWNER,
      /** The thread (or another reader of the client) still holds it. */
      STILL_HELD,
      /** The client's last hold of the mode: release it in MongoDB, then call released. */
      MUST_RELEASE
    }

    static Exit of(Kind kind) {
      return new Exit(kind, false, false);
    }
  }

  final String lockID;
  final String clientID;

  private Thread writer; // holds, or is acquiring, the write lock
  private int writeHolds; // re-entry count of writer; 0 while it is still acquiring
  private final Map<Thread, Integer> readHolds = new IdentityHashMap<>();
  private int waitingWriters;
  private int waitingReaders;
  private boolean busy; // a MongoDB acquire or release of this client is in flight
  private boolean dbWrite;
  private boolean dbRead;
  private boolean lost;
  private String lostReason;
  private long fencingToken;

  /** Of the mutex whose acquire was granted: the lease, who is told of a loss, the store. */
  private LeaseKeeper lease;

  private List<LossListener> listeners = List.of();
  private MutexStore store;

  /**
   * Stands for an untagged hold above a tagged one of the same thread and mode, so that each
   * release pops the tag of its own hold. An untagged hold below every tagged one is not stored:
   * the stack then covers the topmost holds only, and a release that finds it empty had none.
   */
  private static final Object UNTAGGED = new Object();

  /** The tags of the writer's holds, newest first; null until a tagged write hold. */
  private ArrayDeque<Object> writeTags;

  /** Per reading thread, the tags of its read holds, newest first; null until a tagged one. */
  private Map<Thread, ArrayDeque<Object>> readTags;

  LocalHolds(String lockID, String clientID) {
    this.lockID = lockID;
    this.clientID = clientID;
  }

  // ------------------------------------------------------------------------------ write

  Entry enterWrite(Thread me) {
    if (writer == me) {
      if (lost) {
        return Entry.LOST;
      }
      writeHolds++;
      return Entry.REENTERED;
    }
    if (readHolds.containsKey(me)) {
      return Entry.UPGRADE_REFUSED;
    }
    waitingWriters++;
    return Entry.WAIT_FOR_TURN;
  }

  /** A writer waits for every other local holder and for any MongoDB call of the client. */
  Turn takeWriteTurn(Thread me) {
    if (writer != null || !readHolds.isEmpty() || busy) {
      return Turn.NOT_YET;
    }
    waitingWriters--;
    writer = me;
    busy = true;
    return Turn.MUST_ACQUIRE;
  }

  void stopWaitingToWrite() {
    waitingWriters--;
  }

  void writeAcquired(boolean granted) {
    busy = false;
    if (granted) {
      writeHolds = 1;
      dbWrite = true;
      fencingToken = 0;
    } else {
      writer = null;
    }
  }

  Exit exitWrite(Thread owner) {
    if (writer == null) {
      return Exit.of(Exit.Kind.NOT_LOCAL);
    }
    if (writer != owner || writeHolds == 0) {
      return Exit.of(Exit.Kind.NOT_OWNER);
    }
    if (--writeHolds > 0) {
      return new Exit(Exit.Kind.STILL_HELD, false, lost);
    }
    busy = true;
    return new Exit(Exit.Kind.MUST_RELEASE, dbRead, lost);
  }

  void writeReleased() {
    busy = false;
    writer = null;
    dbWrite = false;
    fencingToken = 0;
    forgetLossIfNothingHeld();
  }

  // ------------------------------------------------------------------------------ read

  Entry enterRead(Thread me) {
    Integer count = readHolds.get(me);
    if (count != null) {
      if (lost) {
        return Entry.LOST;
      }
      readHolds.put(me, count + 1);
      return Entry.REENTERED;
    }
    waitingReaders++;
    return Entry.WAIT_FOR_TURN;
  }

  /**
   * A reader waits for any MongoDB call of the client, for a lost hold to be released, and (unless
   * it is the writing thread downgrading) for the local writer and the local waiting writers.
   */
  Turn takeReadTurn(Thread me) {
    boolean downgrade = writer == me;
    if (busy || (lost && !downgrade) || (!downgrade && (writer != null || waitingWriters > 0))) {
      return Turn.NOT_YET;
    }
    waitingReaders--;
    if (lost) {
      return Turn.LOST;
    }
    if (dbRead) {
      readHolds.put(me, 1);
      return Turn.JOINED;
    }
    busy = true;
    return Turn.MUST_ACQUIRE;
  }

  void stopWaitingToRead() {
    waitingReaders--;
  }

  void readAcquired(Thread me, boolean granted) {
    busy = false;
    if (granted) {
      dbRead = true;
      readHolds.put(me, 1);
    }
  }

  Exit exitRead(Thread owner) {
    if (readHolds.isEmpty() && !dbRead && !busy) {
      return Exit.of(Exit.Kind.NOT_LOCAL);
    }
    Integer count = readHolds.get(owner);
    if (count == null) {
      return Exit.of(Exit.Kind.NOT_OWNER);
    }
    if (count > 1) {
      readHolds.put(owner, count - 1);
      return new Exit(Exit.Kind.STILL_HELD, false, lost);
    }
    readHolds.remove(owner);
    if (!readHolds.isEmpty()) {
      return new Exit(Exit.Kind.STILL_HELD, false, lost);
    }
    busy = true;
    return new Exit(Exit.Kind.MUST_RELEASE, dbWrite, lost);
  }

  void readReleased() {
    busy = false;
    dbRead = false;
    forgetLossIfNothingHeld();
  }

  // ------------------------------------------------------------------------------ tags

  /** {@code me} was granted one more hold of {@code mode}; {@code tag} may be null. */
  void pushTag(ModeRule mode, Thread me, Object tag) {
    ArrayDeque<Object> tags;
    if (mode.isWrite()) {
      if (writeTags == null) {
        if (tag == null) {
          return;
        }
        writeTags = new ArrayDeque<>();
      }
      tags = writeTags;
    } else {
      tags = readTags == null ? null : readTags.get(me);
      if (tags == null) {
        if (tag == null) {
          return;
        }
        if (readTags == null) {
          readTags = new IdentityHashMap<>();
        }
        tags = new ArrayDeque<>();
        readTags.put(me, tags);
      }
    }
    if (tag == null && tags.isEmpty()) {
      return;
    }
    tags.push(tag == null ? UNTAGGED : tag);
  }

  /**
   * One hold of {@code mode} by {@code owner} ended: the tag its acquire was given, or null (none,
   * or nothing tagged is held). {@code expected} is the tag of the hold that ends when the caller
   * knows it (a handle, which may be closed out of order or on another thread while its owner holds
   * newer holds of the mode): that one is taken out wherever it is. Otherwise (an unlock, which
   * ends the newest hold) the newest tag.
   */
  Object popTag(ModeRule mode, Thread owner, Object expected) {
    ArrayDeque<Object> tags;
    if (mode.isWrite()) {
      tags = writeTags;
    } else {
      tags = readTags == null ? null : readTags.get(owner);
    }
    if (tags == null || tags.isEmpty()) {
      return null;
    }
    Object tag;
    if (expected != null && tags.peek() != expected && removeByIdentity(tags, expected)) {
      tag = expected;
    } else {
      tag = tags.pop();
    }
    if (tags.isEmpty() && !mode.isWrite()) {
      readTags.remove(owner); // holds no reference to a thread that no longer reads
    }
    return tag == UNTAGGED ? null : tag;
  }

  private static boolean removeByIdentity(ArrayDeque<Object> tags, Object tag) {
    for (Iterator<Object> i = tags.iterator(); i.hasNext(); ) {
      if (i.next() == tag) {
        i.remove();
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------------------ clean-up

  /**
   * A clean-up of this client's MongoDB state runs in the background (the undo of an acquire whose
   * outcome is unknown, or the retry of a failed release): the client is busy until it ends, so
   * that no thread of the client acquires meanwhile and has its new hold undone.
   */
  void busyWithCleanUp() {
    busy = true;
  }

  void cleanUpFinished() {
    busy = false;
  }

  // ------------------------------------------------------------------------------ leases

  /**
   * Records the mutex whose acquire MongoDB granted. True when the lease was already given up by
   * the heartbeat while the acquire was answered: the caller marks the holds lost at once.
   */
  boolean granted(LeaseKeeper lease, List<LossListener> listeners, MutexStore store) {
    this.lease = lease;
    this.listeners = listeners;
    this.store = store;
    return !lost && !lease.tracks(lockID);
  }

  /**
   * Marks the MongoDB holds lost; returns the modes to report to the listeners (none when they were
   * lost already, or nothing is held in MongoDB).
   */
  List<ModeRule> markLost(String reason) {
    if (lost) {
      return List.of();
    }
    lost = true;
    lostReason = reason;
    List<ModeRule> modes = new ArrayList<>();
    if (dbWrite) {
      modes.add(ModeRule.WRITE);
    }
    if (dbRead) {
      modes.add(ModeRule.READ);
    }
    return modes;
  }

  private void forgetLossIfNothingHeld() {
    if (!dbWrite && !dbRead) {
      lost = false;
      lostReason = null;
    }
  }

  // ------------------------------------------------------------------------------ queries

  boolean heldInMongo() {
    return dbWrite || dbRead;
  }

  /** Held in MongoDB, not lost, and no acquire or release of the client in flight. */
  boolean settledHold() {
    return (dbWrite || dbRead) && !lost && !busy;
  }

  boolean holdsInMongo(ModeRule mode) {
    return mode.isWrite() ? dbWrite : dbRead;
  }

  /** Whether the client holds the mode other than {@code mode} in MongoDB (a downgrade). */
  boolean holdsOtherInMongo(ModeRule mode) {
    return mode.isWrite() ? dbRead : dbWrite;
  }

  boolean isWriteLockedBy(Thread t) {
    return !lost && writer == t && writeHolds > 0;
  }

  boolean isReadLockedBy(Thread t) {
    return !lost && readHolds.containsKey(t);
  }

  /** The thread holds the write lock (lost or not). */
  boolean writesOn(Thread t) {
    return writer == t && writeHolds > 0;
  }

  boolean isLost() {
    return lost;
  }

  String lostReason() {
    return lostReason;
  }

  long fencingToken() {
    return fencingToken;
  }

  void fencingToken(long token) {
    fencingToken = token;
  }

  LeaseKeeper lease() {
    return lease;
  }

  List<LossListener> listeners() {
    return listeners;
  }

  MutexStore store() {
    return store;
  }

  /**
   * The open holds of {@code mode} that are not lost: the writer's re-entry count, or the read
   * holds of every reading thread summed.
   */
  int openHolds(ModeRule mode) {
    if (lost) {
      return 0;
    }
    if (mode.isWrite()) {
      return writer != null ? writeHolds : 0;
    }
    int sum = 0;
    for (int count : readHolds.values()) {
      sum += count;
    }
    return sum;
  }

  boolean idle() {
    return writer == null
        && readHolds.isEmpty()
        && waitingWriters == 0
        && waitingReaders == 0
        && !busy
        && !dbWrite
        && !dbRead;
  }
}
