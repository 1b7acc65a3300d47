package io.github.mongolock;

/**
 * Told what the mutexes of a {@link LockRuntime} do: each acquire call and its outcome, each hold
 * and how it ended, holds lost, and lease renewals. Register with {@link
 * LockRuntime#addListener(LockListener)}; the Micrometer binding ({@code mongo-lock-micrometer}) is
 * one, and an application may add its own (an audit log, a test probe). Every method has a default
 * that does nothing, so a listener overrides only what it needs.
 *
 * <p>An acquire is reported as a pair: {@link #acquireStarted} on the calling thread before the
 * first command, then exactly one call on the {@link AcquireWatch} it returned, on the same thread,
 * before the acquire returns or throws. A granted acquire's {@link AcquireWatch#acquired()} returns
 * a {@link HoldWatch} that is told exactly once when that hold ends: by the matching unlock or
 * {@link LockHandle#close()}, on the thread that calls it. Re-entrant acquires are acquire calls
 * like any other (each has its own watch and hold). With several listeners, their watches are told
 * in the reverse order of the {@code acquireStarted} calls, as nested scopes close (a listener that
 * opens a thread-local scope, such as an observation, closes it after the ones opened inside it). A
 * handle's close ends that handle's hold, in whatever order the handles are closed; an unlock ends
 * its thread's newest hold of the mode.
 *
 * <p>Listeners run inline, on the application's threads and on the heartbeat's threads: keep them
 * short and never block or call back into the lock in them. Whatever a listener throws, an {@link
 * Error} such as a {@code NoSuchMethodError} included, is caught and ignored (logged at DEBUG): it
 * never changes the outcome of the lock call, nor stops the heartbeat. Only a {@link
 * VirtualMachineError} (out of memory, stack overflow) is thrown on.
 */
public interface LockListener {

  /**
   * An acquire call begins.
   *
   * @param lock the lock, client and mode asked for
   * @return told the outcome of this call exactly once; {@link AcquireWatch#NONE} by default
   */
  default AcquireWatch acquireStarted(LockEvent lock) {
    return AcquireWatch.NONE;
  }

  /**
   * A hold of this process was lost: its lease ran out before a renewal, another client evicted or
   * force-released it, or its runtime was closed while it was held. Called once per mode held, on
   * the thread that found out, as {@link LockLostListener} is.
   *
   * @param lock the lock, client and mode lost
   * @param reason why, in words (for logs)
   */
  default void lost(LockEvent lock, String reason) {}

  /**
   * One heartbeat renewed the leases this process holds in one collection.
   *
   * @param collection the lock collection's namespace, {@code database.collection}
   * @param leases how many leases the renewal covered
   */
  default void renewed(String collection, int leases) {}

  /**
   * One heartbeat's renewal failed (MongoDB unreachable, timed out, or a lease was found gone).
   *
   * @param collection the lock collection's namespace, {@code database.collection}
   * @param leases how many leases the renewal was to cover
   * @param cause what failed
   */
  default void renewalFailed(String collection, int leases, Throwable cause) {}

  /** The outcome of one acquire call. */
  interface AcquireWatch {

    /** A watch that ignores everything. */
    AcquireWatch NONE = new AcquireWatch() {};

    /**
     * The lock was granted.
     *
     * @return told when this hold ends; {@link HoldWatch#NONE} by default
     */
    default HoldWatch acquired() {
      return HoldWatch.NONE;
    }

    /**
     * The lock was not granted.
     *
     * @param outcome why: never {@link AcquireOutcome#ACQUIRED}
     * @param cause the exception the call throws, or null where it returns {@code false} (a {@code
     *     tryLock} that timed out)
     */
    default void notAcquired(AcquireOutcome outcome, Throwable cause) {}
  }

  /** The end of one hold. */
  interface HoldWatch {

    /** A watch that ignores everything. */
    HoldWatch NONE = new HoldWatch() {};

    /**
     * The hold ended: by its unlock or {@link LockHandle#close()}.
     *
     * @param end released, lost (the unlock threw {@link LockLostException}) or release failed
     * @param cause the exception the unlock threw, null when released
     */
    default void ended(HoldEnd end, Throwable cause) {}
  }
}
