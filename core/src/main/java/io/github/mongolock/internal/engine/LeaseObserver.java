package io.github.mongolock.internal.engine;

import io.github.mongolock.internal.store.LockDocument;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Which sessions' leases on a document look expired from here. Only a hint: the eviction's own
 * filter decides with the server's clock. A lease looks expired when its end is past by this host's
 * clock, or (when patient, so that a skewed clock cannot delay a takeover) when its stamp has not
 * changed for a whole lease time as measured here.
 */
public final class LeaseObserver {
  private final boolean patient;
  private final Map<String, long[]> seen = new HashMap<>();

  public LeaseObserver(boolean patient) {
    this.patient = patient;
  }

  public Set<String> expired(LockDocument doc) {
    Set<String> result = new HashSet<>();
    long nowNanos = System.nanoTime();
    long nowMillis = System.currentTimeMillis();
    for (String session : doc.entrySessions()) {
      LockDocument.Lease lease = doc.lease(session);
      if (lease == null) {
        result.add(session); // an entry without a lease stamp counts as expired
        continue;
      }
      long at = lease.at().getTime();
      long[] first = seen.get(session);
      if (first == null || first[0] != at) {
        first = new long[] {at, nowNanos};
        seen.put(session, first);
      }
      if (lease.endMillis() <= nowMillis
          || (patient && nowNanos - first[1] >= TimeUnit.MILLISECONDS.toNanos(lease.ms()))) {
        result.add(session);
      }
    }
    return result;
  }
}
