package io.github.mongolock.internal.engine;

import io.github.mongolock.internal.store.LockCommands;

/**
 * What differs between the write and the read lock, as two objects over one engine (as Curator's
 * {@code LockInternalsDriver} and the JDK's {@code ReentrantReadWriteLock.Sync}): the local rule of
 * who in this JVM goes next, the commands, and the chores of a waiting acquire.
 */
public abstract sealed class ModeRule {

  public static final ModeRule WRITE = new Write();
  public static final ModeRule READ = new Read();

  private ModeRule() {}

  /** "write" or "read", for messages. */
  public abstract String word();

  public abstract boolean isWrite();

  /** The other mode. */
  abstract ModeRule other();

  /** First step of a local acquire: re-entry, refusal, or a turn to wait for. */
  abstract LocalHolds.Entry enter(LocalHolds holds, Thread me);

  /** Whether {@code me} may go on now; takes the turn if so. */
  abstract LocalHolds.Turn takeTurn(LocalHolds holds, Thread me);

  /** The waiting acquire gave up (timeout or interrupt) before its turn. */
  abstract void stopWaiting(LocalHolds holds);

  /** The MongoDB part ended, granted or not. */
  abstract void acquired(LocalHolds holds, Thread me, boolean granted);

  /** First step of a local release. */
  abstract LocalHolds.Exit exit(LocalHolds holds, Thread owner);

  /** This client's hold of this mode in MongoDB is released (or given up). */
  abstract void released(LocalHolds holds);

  abstract LockCommands.Acquire commands(LockCommands commands);

  /** Whether a waiting acquire marks the lock so that new readers wait behind it. */
  abstract boolean marksWaiting(EngineSettings settings);

  /** Whether a waiting acquire may take over a lock whose expiresAt has passed, as a reader. */
  abstract boolean takesOverExpired();

  private static final class Write extends ModeRule {
    @Override
    public String word() {
      return "write";
    }

    @Override
    public boolean isWrite() {
      return true;
    }

    @Override
    ModeRule other() {
      return READ;
    }

    @Override
    LocalHolds.Entry enter(LocalHolds holds, Thread me) {
      return holds.enterWrite(me);
    }

    @Override
    LocalHolds.Turn takeTurn(LocalHolds holds, Thread me) {
      return holds.takeWriteTurn(me);
    }

    @Override
    void stopWaiting(LocalHolds holds) {
      holds.stopWaitingToWrite();
    }

    @Override
    void acquired(LocalHolds holds, Thread me, boolean granted) {
      holds.writeAcquired(granted);
    }

    @Override
    LocalHolds.Exit exit(LocalHolds holds, Thread owner) {
      return holds.exitWrite(owner);
    }

    @Override
    void released(LocalHolds holds) {
      holds.writeReleased();
    }

    @Override
    LockCommands.Acquire commands(LockCommands commands) {
      return commands.writeAcquire();
    }

    @Override
    boolean marksWaiting(EngineSettings settings) {
      return settings.writerPreference();
    }

    @Override
    boolean takesOverExpired() {
      return false; // the clock-aware write acquire takes an expired lock itself
    }
  }

  private static final class Read extends ModeRule {
    @Override
    public String word() {
      return "read";
    }

    @Override
    public boolean isWrite() {
      return false;
    }

    @Override
    ModeRule other() {
      return WRITE;
    }

    @Override
    LocalHolds.Entry enter(LocalHolds holds, Thread me) {
      return holds.enterRead(me);
    }

    @Override
    LocalHolds.Turn takeTurn(LocalHolds holds, Thread me) {
      return holds.takeReadTurn(me);
    }

    @Override
    void stopWaiting(LocalHolds holds) {
      holds.stopWaitingToRead();
    }

    @Override
    void acquired(LocalHolds holds, Thread me, boolean granted) {
      holds.readAcquired(me, granted);
    }

    @Override
    LocalHolds.Exit exit(LocalHolds holds, Thread owner) {
      return holds.exitRead(owner);
    }

    @Override
    void released(LocalHolds holds) {
      holds.readReleased();
    }

    @Override
    LockCommands.Acquire commands(LockCommands commands) {
      return commands.readAcquire();
    }

    @Override
    boolean marksWaiting(EngineSettings settings) {
      return false;
    }

    @Override
    boolean takesOverExpired() {
      return true;
    }
  }
}
