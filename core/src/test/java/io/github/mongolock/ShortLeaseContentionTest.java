package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.await;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.onThread;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.MongoExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Contention with short leases: waiters keep reading the document and trying evictions, and a live
 * holder (even one holding for several lease times) must never be evicted, so there are no overlaps
 * and no lost locks. Clients of one JVM with the same settings share one session, so this also
 * covers several holders of one session on one document.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShortLeaseContentionTest {

  private static final Duration LEASE = Duration.ofMillis(400);
  private static final Duration RENEW = Duration.ofMillis(100);
  private static final int CLIENTS = 4;
  private static final int SECTIONS = 40;

  @Test
  void liveHoldersAreNeverEvictedAndNeverOverlap(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    MongoCollection<Document> probes = db.getCollection("probes");
    OverlapProbe.reset(probes, "short-lease");
    RWMutexOptions options =
        LockTestSupport.fast().toBuilder().leaseTime(LEASE).renewInterval(RENEW).build();
    List<String> lost = Collections.synchronizedList(new ArrayList<>());
    List<OverlapProbe> probesUsed = new ArrayList<>();
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      String client = "c" + c;
      boolean slow = c == 0;
      RWMutex mutex = new RWMutex(locks, "short", client, options);
      mutex.addLockLostListener((lockID, clientID, mode) -> lost.add(clientID + "/" + mode));
      OverlapProbe probe = new OverlapProbe(probes, "short-lease", client);
      probesUsed.add(probe);
      clients.add(
          onThread(
              client,
              () -> {
                for (int i = 0; i < SECTIONS; i++) {
                  boolean write = ThreadLocalRandom.current().nextInt(3) == 0;
                  // the slow client once holds the write lock for three lease times
                  Duration hold =
                      slow && i == SECTIONS / 2
                          ? LEASE.multipliedBy(3)
                          : Duration.ofMillis(ThreadLocalRandom.current().nextInt(1, 8));
                  if (write || hold.compareTo(LEASE) > 0) {
                    mutex.lock(Duration.ofSeconds(30));
                    try {
                      probe.section(LockMode.WRITE, hold);
                    } finally {
                      mutex.unlock();
                    }
                  } else {
                    mutex.rLock(Duration.ofSeconds(30));
                    try {
                      probe.section(LockMode.READ, hold);
                    } finally {
                      mutex.rUnlock();
                    }
                  }
                }
              }));
    }
    clients.forEach(f -> await(f));
    long overlaps = probesUsed.stream().mapToLong(OverlapProbe::overlaps).sum();
    long sections = probesUsed.stream().mapToLong(OverlapProbe::sections).sum();
    assertEquals(CLIENTS * SECTIONS, sections);
    assertEquals(0, overlaps, "overlapping critical sections");
    assertEquals(List.of(), lost, "no live holder lost its lock");
    assertNull(storedRaw(locks, "short"), "all released");
  }
}
