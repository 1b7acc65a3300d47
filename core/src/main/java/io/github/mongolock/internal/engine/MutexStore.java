package io.github.mongolock.internal.engine;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import io.github.mongolock.internal.lease.LeaseKeeper;
import io.github.mongolock.internal.store.IndexSetup;
import io.github.mongolock.internal.store.LockCommand;
import io.github.mongolock.internal.store.LockCommands;
import io.github.mongolock.internal.store.LockCommands.EntryAfterRelease;
import io.github.mongolock.internal.store.LockDocument;
import io.github.mongolock.internal.store.LockProtocol;
import io.github.mongolock.internal.store.LockProtocol.Outcome;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.bson.Document;

/**
 * One mutex's view of the lock protocol: the {@link LockCommands} of its lock, client and session,
 * sent through a {@link LockProtocol}, with the lease bookkeeping of the {@link LeaseKeeper} around
 * each acquire and release. The commands and what each one means are in {@link LockCommands}; this
 * class knows nothing about threads or waiting ({@link LockEngine} does).
 */
final class MutexStore {

  /** What a release found. */
  enum Released {
    RELEASED,
    NOT_HELD
  }

  private final String lockID;
  private final String clientID;
  private final EngineSettings options;
  private final LockProtocol protocol;
  private final LeaseKeeper lease;
  private final LockCommands commands;
  private final IndexSetup indexes;

  MutexStore(
      EngineRuntime runtime,
      MongoCollection<Document> collection,
      String lockID,
      String clientID,
      EngineSettings options) {
    this.lockID = lockID;
    this.clientID = clientID;
    this.options = options;
    this.indexes = runtime.indexes();
    this.protocol = new LockProtocol(collection, options.writeConcern(), options.readConcern());
    this.lease =
        runtime
            .leases()
            .keeper(
                protocol.collection(),
                options.leaseTime(),
                options.renewInterval(),
                options.writeConcern(),
                options.readConcern());
    this.commands =
        new LockCommands(
            lockID,
            clientID,
            lease.sessionID,
            options.leaseTime().toMillis(),
            options.expiresAt() == null ? null : Date.from(options.expiresAt()),
            options.writerWaitingTtl().toMillis(),
            options.writerPreference());
  }

  LeaseKeeper lease() {
    return lease;
  }

  /** The lock collection as the protocol uses it (primary, the options' concerns). */
  MongoCollection<Document> collection() {
    return protocol.collection();
  }

  Duration leaseTime() {
    return options.leaseTime();
  }

  /** {@code commandTimeout} in milliseconds: the bound of commands no wait bounds. */
  long commandMillis() {
    return options.commandTimeout().toMillis();
  }

  /** Creates the indexes on first use of the collection, unless the options turn that off. */
  void ensureIndex() {
    ensureIndex(commandMillis());
  }

  /** As {@link #ensureIndex()}, its commands bounded by {@code ms}. */
  void ensureIndex(long ms) {
    if (!options.ensureIndex()) {
      return;
    }
    try {
      indexes.ensure(protocol.bounded(ms));
    } catch (IndexSetup.SetupException e) {
      throw LockFailure.error(
          LockFailure.Kind.ACQUIRE_FAILED,
          "acquiring",
          lockID,
          clientID,
          e.getMessage(),
          e.getCause());
    }
  }

  // ---------------------------------------------------------------------------------- acquire

  /**
   * One attempt at {@code mode}: the upsert, and with {@code judgeClock} (a single attempt, the
   * first of a wait, or a chore that saw a clock-dependent condition) also the clock-aware update
   * when the upsert met a document it does not match. True when this client now holds the mode.
   */
  boolean tryAcquire(ModeRule mode, boolean judgeClock, long ms) {
    LockCommands.Acquire acquire = mode.commands(commands);
    return leased(mode, () -> protocol.acquire(acquire, judgeClock, ms));
  }

  /** Runs an acquire and records the lease with the heartbeat when it was granted. */
  private boolean leased(ModeRule mode, BooleanSupplier acquire) {
    long sent = lease.acquireStarting();
    boolean granted = false;
    try {
      granted = acquire.getAsBoolean();
      return granted;
    } finally {
      lease.acquireEnded(protocol.collection(), lockID, holderKey(mode), granted, sent);
    }
  }

  private String holderKey(ModeRule mode) {
    return clientID + '\u0000' + mode.word();
  }

  /**
   * Takes over a lock whose expiresAt has passed, as its only reader, then removes the lease keys
   * of the holders it replaced.
   */
  boolean tryTakeOverExpiredForRead(long ms) {
    boolean taken =
        leased(ModeRule.READ, () -> protocol.run(commands.readTakeover(), ms) == Outcome.APPLIED);
    if (taken) {
      try {
        sweepOrphanLeases(read(ms), ms);
      } catch (MongoException e) {
        // the hold is granted; the keys are swept by a later waiter or go with the document
      }
    }
    return taken;
  }

  /**
   * Evicts the holders whose leases, as read in {@code observed}, belong only to {@code
   * expiredSessions}; the server's clock decides. True when the document changed.
   */
  boolean evictExpired(LockDocument observed, Set<String> expiredSessions, long ms) {
    LockCommand evict = commands.evict(observed, expiredSessions);
    return evict != null && protocol.run(evict, ms) == Outcome.APPLIED;
  }

  /** Removes lease keys of {@code observed} that no entry names (null: nothing to do). */
  void sweepOrphanLeases(LockDocument observed, long ms) {
    LockCommand sweep =
        observed == null ? null : commands.sweepOrphanLeases(observed.orphanLeases());
    if (sweep != null) {
      protocol.run(sweep, ms);
    }
  }

  /** Marks that this client waits for the write lock; lapses after writerWaitingTtl. */
  void markWriterWaiting(long ms) {
    protocol.run(commands.markWriterWaiting(), ms);
  }

  void clearWriterWaiting(long ms) {
    protocol.run(commands.clearWriterWaiting(), ms);
  }

  // ---------------------------------------------------------------------------------- release

  /** Releases {@code mode}; the client holds nothing else, so its entry (and lease) go. */
  Released release(ModeRule mode, Wait deadline) {
    return release(mode, dropEntry(), false, deadline);
  }

  /** Releases {@code mode} while the client still holds the other one: its entry stays. */
  Released releaseKeepingEntry(ModeRule mode, Wait deadline) {
    return release(mode, EntryAfterRelease.KEEP, false, deadline);
  }

  /**
   * Cleans up a lost hold of {@code mode}: only where this process's entry for the client is still
   * on the document, so a successor's hold is never released.
   */
  Released cleanUpLost(ModeRule mode, boolean otherModeHeld, Wait deadline) {
    return release(mode, otherModeHeld ? EntryAfterRelease.KEEP : dropEntry(), true, deadline);
  }

  /** A deadline of {@code commandTimeout} for one release with its steps. */
  Wait releaseDeadline() {
    return Wait.upTo(options.commandTimeout());
  }

  /** What is left of {@code deadline}, for the next command (at least 10 ms). */
  static long millisLeft(Wait deadline) {
    return Math.max(
        10, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline.remainingNanos()));
  }

  /** The lease key goes with the entry unless another client of this process holds the lock. */
  private EntryAfterRelease dropEntry() {
    return lease.othersHold(lockID, clientID)
        ? EntryAfterRelease.DROP
        : EntryAfterRelease.DROP_WITH_LEASE;
  }

  /** From the release that removes the most to the one that removes the least. */
  private static final List<EntryAfterRelease> RELEASE_STEPS =
      List.of(EntryAfterRelease.DROP_WITH_LEASE, EntryAfterRelease.DROP, EntryAfterRelease.KEEP);

  private Released release(
      ModeRule mode, EntryAfterRelease entryAfter, boolean onlyOwnEntry, Wait deadline) {
    lease.released(lockID, holderKey(mode));
    boolean write = mode.isWrite();
    if (protocol.run(commands.releaseByDelete(write, onlyOwnEntry), millisLeft(deadline))
        == Outcome.APPLIED) {
      return Released.RELEASED;
    }
    // Each step's filter is narrower than the next one's: DROP_WITH_LEASE needs no other entry of
    // this session on the document, DROP that the document not name this client in the other
    // mode, KEEP only that the client holds the mode. A release that does not match tries the next.
    for (EntryAfterRelease step : RELEASE_STEPS) {
      if (step.ordinal() < entryAfter.ordinal()) {
        continue;
      }
      LockCommand release = commands.releaseByUpdate(write, step, onlyOwnEntry);
      if (release.kind() == LockCommand.Kind.FIND_ONE_AND_UPDATE) {
        Document after = protocol.findAndUpdate(release, millisLeft(deadline));
        if (after != null) {
          deleteIfLeftFree(after, deadline);
          return Released.RELEASED;
        }
      } else if (protocol.run(release, millisLeft(deadline)) == Outcome.APPLIED) {
        return Released.RELEASED;
      }
    }
    return Released.NOT_HELD;
  }

  /**
   * After a read release by update: deletes the document if nobody holds or waits for the lock any
   * more, so that two readers releasing at once leave nothing behind (each one's delete met the
   * other's entry). Best effort: the release already stands, and a free document left behind is
   * still a free lock.
   */
  private void deleteIfLeftFree(Document after, Wait deadline) {
    LockDocument doc = LockDocument.of(after);
    if (doc == null || !doc.isFree()) {
      return;
    }
    try {
      protocol.run(commands.deleteIfFree(), millisLeft(deadline));
    } catch (MongoException ignored) {
      // the release stands; the free document is harmless
    }
  }

  // ---------------------------------------------------------------------------------- fencing

  /**
   * Issues a fencing token for this client's write hold: increments the lock's durable counter,
   * then stamps the token on the lock document where this client is still the writer with an
   * unexpired lease of this process (server clock). Returns -1, and hands out nothing, when the
   * hold is gone: a successor's token is then greater, because its acquire came after this check.
   */
  long issueFencingToken() {
    long ms = commandMillis();
    LockCommand counter = commands.fencingCounter();
    Document after = null;
    for (int tries = 1; after == null; tries++) {
      try {
        after = protocol.findAndUpdate(counter, ms);
      } catch (MongoException e) {
        // 11000 on _id: another client created the counter at the same moment (mongod retries a
        // duplicate on the lockID index by itself); the next try updates it
        if (!LockProtocol.isDuplicateKey(e) || tries >= 3) {
          throw e;
        }
      }
    }
    long token = ((Number) after.get(LockDocument.TOKEN)).longValue();
    return protocol.run(commands.stampFence(token), ms) == Outcome.APPLIED ? token : -1;
  }

  // ---------------------------------------------------------------------------------- admin

  /** The seed's tryOverrideLockWriter: become the writer where the writer is empty or oldWriter. */
  Outcome overrideWriter(String oldWriter, boolean upsert) {
    return protocol.run(commands.overrideWriter(oldWriter, upsert), commandMillis());
  }

  /** The stored document, or null. */
  LockDocument read(long ms) {
    return protocol.read(commands.read(), ms);
  }
}
