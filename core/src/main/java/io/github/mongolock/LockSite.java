package io.github.mongolock;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What this JVM knows about one lock (one lockID in one collection): which of its threads hold it
 * for which client, and which thread polls MongoDB for it. All fields are guarded by {@link
 * #mutex}; MongoDB is never called while holding it.
 *
 * <p>Sites live in a registry for as long as a thread is inside an operation on the lock or a
 * thread holds it, and are dropped when idle so that many short-lived lock IDs do not accumulate.
 */
final class LockSite {

  private static final ConcurrentHashMap<String, LockSite> SITES = new ConcurrentHashMap<>();

  final String key;
  final ReentrantLock mutex = new ReentrantLock();

  /** Signalled on every change of local state. */
  final Condition changed = mutex.newCondition();

  /** Per client ID: what this JVM's threads hold or wait for. */
  final Map<String, ClientHolds> clients = new HashMap<>();

  /** The one thread that polls MongoDB for this lock, or null. */
  Thread poller;

  /** Counts local releases, so that the poller can tell a release from other wake-ups. */
  long releases;

  /** Threads inside an operation on this site; guarded by the registry's map. */
  private int users;

  private LockSite(String key) {
    this.key = key;
  }

  /** Local holds of one client ID. */
  static final class ClientHolds {
    final String lockID;
    final String clientID;

    ClientHolds(String lockID, String clientID) {
      this.lockID = lockID;
      this.clientID = clientID;
    }

    /** The thread that holds or is acquiring the write lock. */
    Thread writer;

    /** Re-entry count of {@link #writer}; 0 while it is still acquiring. */
    int writeHolds;

    /** Re-entry count per reading thread. */
    final Map<Thread, Integer> readHolds = new IdentityHashMap<>();

    /** Local threads of this client waiting for the write lock (local writer preference). */
    int waitingWriters;

    /** Local threads of this client waiting for the read lock. */
    int waitingReaders;

    /** A MongoDB acquire or release of this client is in flight. */
    boolean busy;

    /** This client holds the write (read) lock in MongoDB. */
    boolean dbWrite;

    boolean dbRead;

    /** The leases under which the MongoDB holds were taken. */
    LeaseKeeper lease;

    /** The MongoDB holds were lost (lease expired or evicted); every unlock of them throws. */
    boolean lost;

    String lostReason;

    /** Told when the holds are lost: the listeners of the mutex that acquired them. */
    List<LockLostListener> listeners = List.of();

    /** The fencing token issued to the current write hold, or 0. */
    long fencingToken;

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

  /** The site for key, counted as in use until {@link #leave()}. */
  static LockSite enter(String key) {
    return SITES.compute(
        key,
        (k, site) -> {
          LockSite s = site == null ? new LockSite(k) : site;
          s.users++;
          return s;
        });
  }

  /** Ends one operation; drops the site from the registry when nothing refers to it. */
  void leave() {
    SITES.computeIfPresent(
        key,
        (k, site) -> {
          site.users--;
          if (site.users > 0) {
            return site;
          }
          site.mutex.lock();
          try {
            return site.clients.isEmpty() && site.poller == null ? null : site;
          } finally {
            site.mutex.unlock();
          }
        });
  }

  /** The registry key of a lock. */
  static String keyOf(String namespace, String lockID) {
    return namespace + '\u0000' + lockID;
  }

  /** Number of sites in the registry (for tests of the clean-up). */
  static int registered() {
    return SITES.size();
  }

  /** Caller holds mutex. */
  ClientHolds client(String clientID) {
    return clients.computeIfAbsent(clientID, id -> new ClientHolds(lockID(), id));
  }

  private String lockID() {
    return key.substring(key.indexOf('\u0000') + 1);
  }

  /** Caller holds mutex: forgets a client that holds and waits for nothing. */
  void forgetIfIdle(String clientID) {
    ClientHolds holds = clients.get(clientID);
    if (holds != null && holds.idle()) {
      clients.remove(clientID);
    }
  }
}
