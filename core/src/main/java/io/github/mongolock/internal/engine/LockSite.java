package io.github.mongolock.internal.engine;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What this JVM knows about one lock (one lockID in one collection): the {@link LocalHolds} of each
 * client ID, and which thread polls MongoDB for it. All fields are guarded by {@link #mutex};
 * MongoDB is never called while holding it.
 *
 * <p>Sites live in their runtime's registry for as long as a thread is inside an operation on the
 * lock or a thread holds it, and are dropped when idle so that many short-lived lock IDs do not
 * accumulate.
 */
final class LockSite {

  final String key;
  final String lockID;
  final ReentrantLock mutex = new ReentrantLock();

  /** Signalled on every change of local state. */
  final Condition changed = mutex.newCondition();

  /** Per client ID: what this JVM's threads hold or wait for. */
  final Map<String, LocalHolds> clients = new HashMap<>();

  /** The one thread that polls MongoDB for this lock, or null. */
  Thread poller;

  /** Counts local releases and change-stream wake-ups, so the poller can tell them apart. */
  long releases;

  /** Threads inside an operation on this site; guarded by the registry's map. */
  int users;

  LockSite(String key, String lockID) {
    this.key = key;
    this.lockID = lockID;
  }

  /** The registry key of a lock. */
  static String keyOf(String namespace, String lockID) {
    return namespace + '\u0000' + lockID;
  }

  /** Caller holds mutex. */
  LocalHolds client(String clientID) {
    return clients.computeIfAbsent(clientID, id -> new LocalHolds(lockID, id));
  }

  /** Caller holds mutex: forgets a client that holds and waits for nothing. */
  void forgetIfIdle(String clientID) {
    LocalHolds holds = clients.get(clientID);
    if (holds != null && holds.idle()) {
      clients.remove(clientID);
    }
  }

  /** Caller holds mutex: a local release, or a hint that another process released. */
  void wakePoller() {
    releases++;
    changed.signalAll();
  }
}
