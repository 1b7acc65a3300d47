package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.sleep;
import static io.github.mongolock.LockTestSupport.stored;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.internal.engine.LeaseObserver;
import io.github.mongolock.internal.store.LockCommands;
import io.github.mongolock.internal.store.LockDocument;
import io.github.mongolock.internal.store.LockProtocol;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Leases, renewal, eviction, lock-lost notice and fencing tokens. Expiry is judged by the server's
 * clock ({@code $currentDate} stamps, {@code $expr} with {@code $$NOW}); the embedded server's
 * clock is this JVM's, so these tests cannot show skew between hosts.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeaseTest {

  private static final String LOCK = "lease_1";
  private static final Duration LEASE = Duration.ofMillis(800);
  private static final Duration RENEW = Duration.ofMillis(200);

  private MongoCollection<Document> locks;

  @BeforeEach
  void freshLocks(MongoDatabase db) {
    locks = freshCollection(db);
  }

  private RWMutex mutex(String client, Duration lease, Duration renew) {
    return new RWMutex(
        locks, LOCK, client, fast().toBuilder().leaseTime(lease).renewInterval(renew).build());
  }

  private RWMutex shortLease(String client) {
    return mutex(client, LEASE, RENEW);
  }

  @Test
  void defaultsAreThirtySecondLeasesRenewedEveryTenSecondsWithMajorityConcerns() {
    RWMutexOptions defaults = RWMutexOptions.defaults();
    assertEquals(Duration.ofSeconds(30), defaults.leaseTime());
    assertEquals(Duration.ofSeconds(10), defaults.renewInterval());
    assertEquals(WriteConcern.MAJORITY, defaults.writeConcern());
    assertEquals(ReadConcern.MAJORITY, defaults.readConcern());
    assertEquals(
        Duration.ofSeconds(2),
        defaults.toBuilder().leaseTime(Duration.ofSeconds(6)).build().renewInterval(),
        "a derived renewal interval follows a new lease time");
    assertThrows(
        IllegalArgumentException.class,
        () ->
            RWMutexOptions.builder()
                .leaseTime(Duration.ofSeconds(1))
                .renewInterval(Duration.ofSeconds(1))
                .build());
  }

  @Test
  void acquireStampsTheLeaseWithTheServersClockInTheSameCommand(MongoDatabase db) {
    List<String> commands = Collections.synchronizedList(new ArrayList<>());
    CommandListener listener =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            commands.add(event.getCommandName());
          }
        };
    try (MongoClient client = TestMongo.get().newClient(listener)) {
      MongoCollection<Document> viaListener =
          client.getDatabase(db.getName()).getCollection(locks.getNamespace().getCollectionName());
      RWMutex writer = new RWMutex(viaListener, LOCK, "w", fast());
      writer.lock(); // first use also sets up the indexes
      writer.unlock();
      commands.clear();

      Date before = new Date();
      writer.lock();
      assertEquals(List.of("update"), commands, "one command to acquire");
      Document doc = storedRaw(locks, LOCK);
      List<Document> holders = doc.getList("holders", Document.class);
      assertEquals(1, holders.size(), doc.toJson());
      assertEquals("w", holders.get(0).getString("c"));
      String session = holders.get(0).getString("s");
      Document lease = doc.get("leases", Document.class).get(session, Document.class);
      assertEquals(30_000L, lease.getLong("ms"));
      assertFalse(
          lease.getDate("at").before(new Date(before.getTime() - 1000)),
          "stamped by the server at acquire: " + doc.toJson());
      commands.clear();
      writer.unlock();
      assertEquals(List.of("delete"), commands, "one command to release");
      assertNull(storedRaw(locks, LOCK));

      RWMutex reader = new RWMutex(viaListener, LOCK, "r", fast());
      commands.clear();
      reader.rLock();
      assertEquals(List.of("update"), commands, "one command to acquire the read lock");
      Document read = storedRaw(locks, LOCK);
      assertEquals(
          List.of(new Document("c", "r").append("s", session)),
          read.getList("holders", Document.class),
          "same process, same session");
      commands.clear();
      reader.rUnlock();
      assertEquals(List.of("delete"), commands, "one command to release the read lock");
    }
  }

  @Test
  void stateChangesUseMajorityWriteConcernAndReadsMajorityReadConcernUnlessChosenOtherwise(
      MongoDatabase db) {
    List<org.bson.BsonDocument> sent = Collections.synchronizedList(new ArrayList<>());
    CommandListener listener =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            sent.add(event.getCommand().clone());
          }
        };
    try (MongoClient client = TestMongo.get().newClient(listener)) {
      MongoCollection<Document> viaListener =
          client.getDatabase(db.getName()).getCollection(locks.getNamespace().getCollectionName());
      RWMutex holder = new RWMutex(viaListener, LOCK, "holder", fast());
      RWMutex contender = new RWMutex(viaListener, LOCK, "contender", fast());
      holder.lock();
      sent.clear();
      assertFalse(contender.tryLock(), "held");
      holder.fencingToken();
      holder.unlock();
      for (org.bson.BsonDocument command : sent) {
        String name = command.getFirstKey();
        if (Set.of("update", "delete", "findAndModify").contains(name)) {
          assertEquals(
              "majority",
              command.getDocument("writeConcern").getString("w").getValue(),
              command.toJson());
        } else if (name.equals("find")) {
          assertEquals(
              "majority",
              command.getDocument("readConcern").getString("level").getValue(),
              command.toJson());
        }
      }
      assertTrue(
          sent.stream().anyMatch(c -> c.getFirstKey().equals("find")),
          "the contended path read the document: " + sent);

      RWMutex relaxed =
          new RWMutex(
              viaListener,
              "relaxed",
              "holder",
              fast().toBuilder()
                  .writeConcern(WriteConcern.W1)
                  .readConcern(ReadConcern.LOCAL)
                  .build());
      sent.clear();
      relaxed.lock();
      relaxed.unlock();
      assertTrue(
          sent.stream().allMatch(c -> c.getDocument("writeConcern").getInt32("w").getValue() == 1),
          "w:1 when chosen: " + sent);
    }
  }

  @Test
  void heartbeatKeepsALiveHolderPastItsLease() {
    RWMutex holder = shortLease("holder");
    holder.lock();
    String session = holder.leaseKeeper().sessionID;
    Date stamped = leaseAt(session);
    RWMutex contender = shortLease("contender");
    assertFalse(
        contender.tryLock(LEASE.multipliedBy(3)), "the holder's lease is renewed while it holds");
    assertTrue(leaseAt(session).after(stamped), "renewed by the heartbeat");
    assertTrue(holder.isWriteLockedByCurrentThread());
    holder.unlock();
    assertTrue(contender.tryLock());
    contender.unlock();
  }

  @Test
  void pausedHolderIsToldItsUnlockThrowsAndItsFencingTokenIsRejected(MongoDatabase db)
      throws Exception {
    FencedResource report = new FencedResource(db.getCollection("reports"), "report");
    RWMutex paused = shortLease("paused");
    CountDownLatch told = new CountDownLatch(1);
    List<String> notices = Collections.synchronizedList(new ArrayList<>());
    paused.addLockLostListener(
        (lockID, clientID, mode) -> {
          notices.add(lockID + "/" + clientID + "/" + mode);
          told.countDown();
        });
    // The successor runs in another "process": its own lease settings, so its own session.
    RWMutex successor = mutex("successor", Duration.ofSeconds(5), Duration.ofSeconds(1));

    LockHandle held = paused.acquireWrite(Duration.ofSeconds(5));
    long pausedToken = held.fencingToken();
    assertEquals(pausedToken, paused.fencingToken(), "one token per hold");
    assertTrue(report.write(pausedToken, "by paused"));

    paused.suspendHeartbeat(true);
    try {
      long pausedAt = System.nanoTime();
      assertTrue(
          told.await(LEASE.toMillis() + 2000, TimeUnit.MILLISECONDS),
          "the lock-lost listener fired");
      long toldAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedAt);
      System.out.println(
          "[lease] lock-lost notice "
              + toldAfter
              + " ms after the heartbeat"
              + " stopped (lease "
              + LEASE.toMillis()
              + " ms)");
      assertEquals(List.of(LOCK + "/paused/WRITE"), notices);
      assertFalse(held.isHeld(), "the handle reports the hold is gone");
      assertTrue(held.isOpen(), "but it still has to be closed");
      assertFalse(paused.isWriteLockedByCurrentThread());
      assertFalse(paused.isHeld());

      successor.lock(Duration.ofSeconds(5));
      long successorToken = successor.fencingToken();
      assertTrue(successorToken > pausedToken, successorToken + " > " + pausedToken);
      assertTrue(report.write(successorToken, "by successor"));

      // the paused writer wakes up and carries on with the token it had
      assertFalse(report.write(pausedToken, "late write by paused"), "stale token rejected");
      assertEquals("by successor", report.value());
      assertThrows(LockLostException.class, paused::fencingToken, "no new token for a lost hold");

      LockLostException e = assertThrows(LockLostException.class, held::close);
      assertTrue(
          e.getMessage().contains(LOCK) && e.getMessage().contains("paused"), e.getMessage());
      assertFalse(held.isOpen());
      assertEquals(
          "successor",
          stored(locks, LOCK).get("writer"),
          "the lost holder's clean-up left the successor alone");
      assertEquals(1, storedRaw(locks, LOCK).getList("holders", Document.class).size());
      successor.unlock();
      assertNull(storedRaw(locks, LOCK));
    } finally {
      paused.suspendHeartbeat(false);
    }
    assertTrue(paused.tryLock(), "the client can take the lock again after a loss");
    paused.unlock();
  }

  @Test
  void lostHoldThatNobodyEvictedIsCleanedUpByItsUnlock() {
    RWMutex reader = shortLease("reader");
    CountDownLatch told = new CountDownLatch(1);
    reader.addLockLostListener((lockID, clientID, mode) -> told.countDown());
    reader.rLock();
    reader.suspendHeartbeat(true);
    try {
      assertTrue(told.await(LEASE.toMillis() + 2000, TimeUnit.MILLISECONDS));
      assertFalse(reader.isReadLockedByCurrentThread());
      assertThrows(LockLostException.class, reader::rLock, "no re-entry into a lost hold");
      assertThrows(LockLostException.class, reader::rUnlock);
      assertNull(storedRaw(locks, LOCK), "the unlock removed the expired entry");
      assertThrows(LockNotHeldException.class, reader::rUnlock, "released once, not twice");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } finally {
      reader.suspendHeartbeat(false);
    }
  }

  @Test
  void evictionCannotRemoveAHolderThatRenewedMeanwhile() {
    RWMutex holder = shortLease("holder");
    holder.lock();
    String session = holder.leaseKeeper().sessionID;
    holder.suspendHeartbeat(true);
    try {
      // make the lease look expired, and read the document as a contender would
      locks.updateOne(
          Filters.eq("lockID", LOCK),
          Updates.set("leases." + session + ".at", new Date(System.currentTimeMillis() - 60_000)));
      Document seenExpired = storedRaw(locks, LOCK);
      // the holder renews before the contender's eviction arrives
      locks.updateOne(Filters.eq("lockID", LOCK), Updates.currentDate("leases." + session + ".at"));
      LockProtocol protocol = new LockProtocol(locks, WriteConcern.MAJORITY, ReadConcern.MAJORITY);
      LockCommands contender =
          new LockCommands(LOCK, "contender", "S-contender", 30_000, null, 2_000, true);
      assertEquals(
          LockProtocol.Outcome.NOT_APPLIED,
          protocol.run(contender.evict(LockDocument.of(seenExpired), Set.of(session))),
          "eviction refused");
      assertEquals("holder", stored(locks, LOCK).get("writer"));

      // without the renewal, the same eviction succeeds
      locks.updateOne(
          Filters.eq("lockID", LOCK),
          Updates.set("leases." + session + ".at", new Date(System.currentTimeMillis() - 60_000)));
      assertEquals(
          LockProtocol.Outcome.APPLIED,
          protocol.run(contender.evict(LockDocument.of(storedRaw(locks, LOCK)), Set.of(session))));
      Document evicted = storedRaw(locks, LOCK);
      assertEquals("", evicted.getString("writer"));
      assertEquals(List.of(), evicted.getList("holders", Document.class));
    } finally {
      holder.suspendHeartbeat(false);
    }
    assertThrows(LockLostException.class, holder::unlock);
  }

  @Test
  void holdersWithoutALeaseKeepTheSeedsBehaviour() {
    // as written by mongo-lock-node: no lease entry, so never expires
    locks.insertOne(
        new Document("lockID", LOCK).append("writer", "node-w").append("readers", List.of()));
    RWMutex java = shortLease("java");
    assertFalse(java.tryLock(LEASE.multipliedBy(3)), "a Node writer is never evicted");
    assertFalse(java.tryRLock());
    assertEquals(
        new Document("lockID", LOCK).append("writer", "node-w").append("readers", List.of()),
        stored(locks, LOCK));
  }

  @Test
  void fencingTokensGrowAcrossDeletionAndAreOnlyForWriters() {
    RWMutex a = shortLease("a");
    RWMutex b = shortLease("b");
    a.lock();
    long first = a.fencingToken();
    a.lock(); // re-entry: same hold, same token
    assertEquals(first, a.fencingToken());
    assertEquals(first, storedRaw(locks, LOCK).getLong("fence"), "stamped on the lock");
    a.unlock();
    a.unlock();
    assertNull(storedRaw(locks, LOCK), "the lock document was deleted");
    b.lock();
    long second = b.fencingToken();
    assertTrue(second > first, second + " > " + first);
    b.unlock();
    a.lock();
    assertTrue(a.fencingToken() > second);
    a.unlock();
    assertThrows(IllegalStateException.class, a::fencingToken, "not held");
    try (LockHandle read = a.acquireRead()) {
      assertThrows(IllegalStateException.class, read::fencingToken);
      assertTrue(read.isHeld());
    }
  }

  @Test
  void renewalFailureIsNoticedWithinTheLease(MongoDatabase db) throws Exception {
    // the holder's client is closed: every renewal fails, as when the server is unreachable
    MongoClient doomed = TestMongo.get().newClient();
    MongoCollection<Document> viaDoomed =
        doomed.getDatabase(db.getName()).getCollection(locks.getNamespace().getCollectionName());
    RWMutex holder =
        new RWMutex(
            viaDoomed,
            LOCK,
            "cut-off",
            fast().toBuilder().leaseTime(Duration.ofMillis(700)).renewInterval(RENEW).build());
    CountDownLatch told = new CountDownLatch(1);
    holder.addLockLostListener((lockID, clientID, mode) -> told.countDown());
    holder.lock();
    doomed.close();
    assertTrue(told.await(3, TimeUnit.SECONDS), "told although MongoDB cannot be reached");
    assertFalse(holder.isWriteLockedByCurrentThread());
    assertThrows(LockLostException.class, holder::unlock);
  }

  @Test
  void aWaiterWhoseClockIsBehindStillTriesTheEvictionAfterOneUnchangedLeaseTime() {
    // The embedded server shares this JVM's clock, so skew is simulated in the document: the
    // stamp lies an hour in this host's future, as if this host's clock were an hour behind.
    Document doc =
        new Document("lockID", LOCK)
            .append("writer", "w")
            .append("readers", List.of())
            .append("holders", List.of(new Document("c", "w").append("s", "S1")))
            .append(
                "leases",
                new Document(
                    "S1",
                    new Document("at", new Date(System.currentTimeMillis() + 3_600_000))
                        .append("ms", 300L)));
    LeaseObserver patient = new LeaseObserver(true);
    LeaseObserver single = new LeaseObserver(false);
    LockDocument view = LockDocument.of(doc);
    assertEquals(Set.of(), patient.expired(view), "not expired by this host's clock");
    sleep(350);
    assertEquals(
        Set.of("S1"),
        patient.expired(view),
        "the stamp did not change for a lease time: worth asking the server");
    assertEquals(Set.of(), single.expired(view), "a single try judges by this host's clock only");
  }

  private Date leaseAt(String session) {
    Document doc = storedRaw(locks, LOCK);
    assertNotNull(doc);
    return doc.get("leases", Document.class).get(session, Document.class).getDate("at");
  }
}
