package io.github.mongolock;

/**
 * Told when this process loses a lock it holds: its lease expired before the heartbeat could renew
 * it (MongoDB unreachable, process paused), another client evicted it, or a fencing token could not
 * be issued because the hold was gone. Register with {@link
 * RWMutex#addLockLostListener(LockLostListener)}.
 *
 * <p>Runs on the heartbeat's watch thread (or on the thread that found out, for example in an
 * unlock); keep it short and do not block in it. Called once per mode held: a client that held both
 * the write and the read lock (a downgrade) is told twice. Exceptions it throws are ignored.
 */
@FunctionalInterface
public interface LockLostListener {

  void lockLost(String lockID, String clientID, LockMode mode);
}
