package io.github.mongolock.internal.lease;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Projections;
import io.github.mongolock.internal.store.LockCommand;
import io.github.mongolock.internal.store.LockCommands;
import io.github.mongolock.internal.store.LockDocument;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases this process holds in one lock collection (for one lease time), and their renewal.
 *
 * <p>Every holder entry this process writes names the keeper's session, a random ID; the lease of a
 * session on a lock document is {@code leases.<session>.at}, stamped with the server's clock by the
 * acquire itself and by each renewal. One heartbeat thread per JVM renews, every {@code
 * renewInterval}, all leases of a keeper with one {@code updateMany} that matches only documents
 * whose lease of this session has not yet expired (by the server's clock), so an expired lease is
 * never revived by the heartbeat. If the number of documents renewed is not the number this process
 * holds (or holds changed while the command ran), one more query finds which leases survived; the
 * others are lost.
 *
 * <p>A second thread watches the local estimate: a lease not confirmed (by an acquire or a renewal,
 * counted on this JVM's monotonic clock from the moment the command was sent, so never later than
 * the server's stamp) within {@code leaseTime} minus one watch period is declared lost, even when
 * MongoDB cannot be reached at all. The holder is therefore told no later than the server could
 * consider the lease expired, whatever the offset between the clocks (only their rates must agree).
 * Losses are handed to the {@link LeaseRegistry.LossListener} of the keeper's registry.
 */
public final class LeaseKeeper {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
  private static final long MAX_WATCH_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  public final String sessionID = UUID.randomUUID().toString().replace("-", "");
  public final String namespace;
  final Duration leaseTime;
  private final LeaseRegistry registry;
  private final long leaseNanos;

  /** The watch declares a lease lost this much before its local estimate runs out. */
  private final long watchPeriodNanos;

  private final long renewIntervalNanos;
  private ScheduledFuture<?> renewTask; // guarded by this
  private ScheduledFuture<?> watchTask; // guarded by this
  private volatile MongoCollection<Document> collection;
  private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> abandoned = new ConcurrentHashMap<>();
  private final AtomicInteger acquiresInFlight = new AtomicInteger();
  private final AtomicLong changes = new AtomicLong();
  private volatile boolean suspended;

  /** The holders of this process on one lock document, and when their lease was last confirmed. */
  private static final class Held {
    final Set<String> holders = ConcurrentHashMap.newKeySet();
    final AtomicLong confirmedNanos;

    Held(long confirmedNanos) {
      this.confirmedNanos = new AtomicLong(confirmedNanos);
    }

    void confirm(long sentNanos) {
      confirmedNanos.accumulateAndGet(sentNanos, Math::max);
    }
  }

  LeaseKeeper(
      LeaseRegistry registry,
      MongoCollection<Document> collection,
      Duration leaseTime,
      Duration renewInterval) {
    this.registry = registry;
    this.collection = collection;
    this.namespace = collection.getNamespace().getFullName();
    this.leaseTime = leaseTime;
    this.leaseNanos = leaseTime.toNanos();
    long interval = renewInterval.toNanos();
    long watchPeriod =
        Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(interval / 4, MAX_WATCH_PERIOD_NANOS));
    this.watchPeriodNanos = watchPeriod;
    this.renewIntervalNanos = interval;
  }

  /**
   * Schedules the heartbeat and the watch when the first lease is held. They stop themselves when
   * nothing is held any more, so that a JVM that used many collections or lease settings does not
   * keep a periodic task for each of them.
   */
  private synchronized void startIfStopped() {
    if (renewTask == null) {
      // fixed rate: a slow renewal must not stretch the cadence the lease time relies on
      renewTask =
          registry.heartbeat.scheduleAtFixedRate(
              this::renew, renewIntervalNanos, renewIntervalNanos, TimeUnit.NANOSECONDS);
      watchTask =
          registry.watch.scheduleWithFixedDelay(
              this::watch, watchPeriodNanos, watchPeriodNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** True while the heartbeat and the watch are scheduled (for tests). */
  public synchronized boolean isScheduled() {
    return renewTask != null;
  }

  /** Called by the tasks: cancels both when nothing is held (a later acquire starts them again). */
  private synchronized void stopIfNothingHeld() {
    if (renewTask != null && held.isEmpty() && acquiresInFlight.get() == 0) {
      renewTask.cancel(false);
      watchTask.cancel(false);
      renewTask = null;
      watchTask = null;
    }
  }

  // ------------------------------------------------------------------------ bookkeeping

  /** Before an acquire is sent: returns the send time that confirms the lease if it succeeds. */
  public long acquireStarting() {
    acquiresInFlight.incrementAndGet();
    return System.nanoTime();
  }

  /** After an acquire answered (or failed); records the hold when it was granted. */
  public void acquireEnded(
      MongoCollection<Document> via,
      String lockID,
      String holder,
      boolean granted,
      long sentNanos) {
    try {
      if (granted) {
        collection = via; // renew through a client that is known to be open
        held.compute(
            lockID,
            (k, h) -> {
              Held current = h == null ? new Held(sentNanos) : h;
              current.confirm(sentNanos);
              current.holders.add(holder);
              return current;
            });
        changes.incrementAndGet();
        startIfStopped();
      }
    } finally {
      acquiresInFlight.decrementAndGet();
    }
  }

  /**
   * The document of lockID may still carry this session's entry although the hold is over: its
   * release (or the undo of an acquire) could not be confirmed, or the lease was given up. Unless a
   * holder of this process holds the lock again, renewals leave it alone for a lease time and a
   * renewal interval, after which the server's clock has expired it for good.
   */
  public void abandon(String lockID) {
    abandoned.put(lockID, System.nanoTime());
  }

  /** The abandoned locks no holder of this process holds, forgetting those long expired. */
  private Set<String> abandonedNotHeld() {
    if (abandoned.isEmpty()) {
      return Set.of();
    }
    long now = System.nanoTime();
    abandoned.entrySet().removeIf(e -> now - e.getValue() > leaseNanos + renewIntervalNanos);
    Set<String> result = new HashSet<>(abandoned.keySet());
    result.removeAll(held.keySet());
    return result;
  }

  /** A hold was released (or given up); idempotent. */
  public void released(String lockID, String holder) {
    held.computeIfPresent(
        lockID,
        (k, h) -> {
          h.holders.remove(holder);
          return h.holders.isEmpty() ? null : h;
        });
    changes.incrementAndGet();
  }

  /** True when a client other than {@code clientID} holds lockID under this keeper's session. */
  public boolean othersHold(String lockID, String clientID) {
    Held h = held.get(lockID);
    if (h == null) {
      return false;
    }
    if (h.holders.size() > 2) {
      String own = clientID + '\u0000';
      return h.holders.stream().anyMatch(holder -> !holder.startsWith(own));
    }
    for (String holder : h.holders) { // the usual case, without building a prefix
      if (!holder.startsWith(clientID) || holder.charAt(clientID.length()) != '\u0000') {
        return true;
      }
    }
    return false;
  }

  /**
   * Gives up the lease on lockID now if the watch would: not confirmed within the lease time less
   * one watch period, by this JVM's monotonic clock (which goes on while the process is stopped).
   * Called before a local acquire may join or re-enter a hold, so that a process that resumes after
   * a pause past its lease does not hand out the hold before its watch thread has run.
   */
  public void expireIfOverdue(String lockID) {
    Held h = held.get(lockID);
    if (h == null) {
      return;
    }
    long now = System.nanoTime();
    long limit = leaseNanos - watchPeriodNanos;
    if (now - h.confirmedNanos.get() >= limit) {
      expire(
          lockID,
          h,
          confirmed -> now - confirmed >= limit,
          "its lease could not be renewed within the lease time of "
              + leaseTime.toMillis()
              + " ms (was the process paused?)");
    }
  }

  /**
   * True when the lease on lockID is no longer good for a new local hand-out: not tracked any more
   * (given up, the engine is about to be told) or not confirmed within the lease time less one
   * watch period.
   */
  public boolean overdue(String lockID) {
    Held h = held.get(lockID);
    return h == null || System.nanoTime() - h.confirmedNanos.get() >= leaseNanos - watchPeriodNanos;
  }

  /** True while this keeper renews a lease on lockID. */
  public boolean tracks(String lockID) {
    return held.containsKey(lockID);
  }

  /** Number of lock documents this keeper holds leases on (for tests). */
  public int heldCount() {
    return held.size();
  }

  /** Test hook: while suspended, the heartbeat sends nothing (as if the process were paused). */
  public void suspendRenewals(boolean suspend) {
    this.suspended = suspend;
  }

  // ------------------------------------------------------------------------ heartbeat

  private void renew() {
    int leases = 0;
    try {
      if (held.isEmpty()) {
        stopIfNothingHeld();
        return;
      }
      if (suspended) {
        return;
      }
      boolean quiet = acquiresInFlight.get() == 0;
      long changesBefore = changes.get();
      Map<String, Held> snapshot = new HashMap<>(held);
      leases = snapshot.size();
      long sent = System.nanoTime();
      // Bounded, so that a renewal stuck behind a dead network gives its thread back: by what is
      // left of a lease renewed one interval ago, past which the renewal could not save it. (Not
      // by the interval itself: a slow server that renews 10,000 leases in more than one interval
      // still renews them in time.)
      MongoCollection<Document> via =
          collection.withTimeout(leaseNanos - renewIntervalNanos, TimeUnit.NANOSECONDS);
      Set<String> abandonedNow = abandonedNotHeld();
      LockCommand renewal = LockCommands.renewal(sessionID, abandonedNow);
      long renewed = via.updateMany(renewal.filter(), renewal.update()).getMatchedCount();
      if (quiet
          && acquiresInFlight.get() == 0
          && changes.get() == changesBefore
          && renewed == snapshot.size()) {
        snapshot.values().forEach(h -> h.confirm(sent));
        registry.renewalListener.renewed(namespace, leases);
        return;
      }
      // Holds changed meanwhile, or some lease was not renewed: find out which survived.
      Set<String> alive = new HashSet<>();
      via.find(LockCommands.aliveLeases(sessionID, abandonedNow).filter())
          .projection(Projections.include(LockDocument.LOCK_ID))
          .forEach(d -> alive.add(String.valueOf(d.get(LockDocument.LOCK_ID))));
      int gone = 0;
      for (Map.Entry<String, Held> e : snapshot.entrySet()) {
        if (alive.contains(e.getKey())) {
          e.getValue().confirm(sent);
        } else if (expire(
            e.getKey(),
            e.getValue(),
            confirmed -> confirmed < sent,
            "its lease was not renewed: it had expired (by the server's clock) or the holder"
                + " was evicted")) {
          gone++;
        }
      }
      if (gone == 0) {
        registry.renewalListener.renewed(namespace, leases);
      } else {
        // each lost hold is logged (at WARN) and reported where it is marked lost
        registry.renewalListener.renewalFailed(
            namespace,
            leases,
            new IllegalStateException(
                "the renewal in "
                    + namespace
                    + " found "
                    + gone
                    + " of "
                    + leases
                    + " leases expired by the server's clock or evicted"));
      }
    } catch (RuntimeException e) {
      // The watch declares the holds lost if no renewal succeeds within leaseTime.
      // the exception as text: a stack trace every renewal interval would flood an outage's log
      LOG.warn(
          "renewing the leases of session {} in {} failed: {}", sessionID, namespace, e.toString());
      registry.renewalListener.renewalFailed(namespace, leases, e);
    }
  }

  private void watch() {
    try {
      // one watch period early, so that the holder is told before the server could evict it
      long now = System.nanoTime();
      long limit = leaseNanos - watchPeriodNanos;
      if (held.isEmpty()) {
        stopIfNothingHeld();
        return;
      }
      for (Map.Entry<String, Held> e : held.entrySet()) {
        if (now - e.getValue().confirmedNanos.get() >= limit) {
          expire(
              e.getKey(),
              e.getValue(),
              confirmed -> now - confirmed >= limit,
              "its lease could not be renewed within the lease time of "
                  + leaseTime.toMillis()
                  + " ms");
        }
      }
    } catch (RuntimeException e) {
      LOG.error("lease watch of {} failed", namespace, e);
    }
  }

  /**
   * Forgets the holds of lockID if still those of h and confirmed as test says; tells the engine.
   * True when it did.
   */
  private boolean expire(String lockID, Held h, LongPredicate stale, String reason) {
    boolean[] removed = {false};
    held.computeIfPresent(
        lockID,
        (k, current) -> {
          if (current == h && stale.test(current.confirmedNanos.get())) {
            removed[0] = true;
            return null;
          }
          return current;
        });
    if (removed[0]) {
      changes.incrementAndGet();
      abandon(lockID); // given up here: a renewal must not extend it on the server
      registry.lossListener.leaseLost(this, lockID, reason);
    }
    return removed[0];
  }
}
