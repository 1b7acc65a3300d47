package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoWriteException;
import com.mongodb.ReadPreference;
import com.mongodb.ServerAddress;
import com.mongodb.WriteError;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the review of the protocol against real mongod found, each shown on the stored document: the
 * lease keys of a document that is never deleted, the read preference, the unique index after a
 * drop, a single attempt that loses an upsert race to a compatible holder, the sharding hint, and
 * the two commands of an uncontended lock and unlock.
 */
@ExtendWith(MongoExtension.class)
class ProtocolFixesTest {

  @Test
  void leaseKeysLeaveWithTheirSessionsLastEntry(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    RWMutex longReader = new RWMutex(locks, "doc", "long-reader", fast());
    longReader.rLock();
    // each lease setting gets its own keeper, so its own session: 40 visiting process sessions
    for (int i = 0; i < 40; i++) {
      RWMutexOptions visitorOptions =
          fast().toBuilder().leaseTime(Duration.ofMillis(30_000 + i)).build();
      RWMutex visitor = new RWMutex(locks, "doc", "visitor-" + i, visitorOptions);
      visitor.rLock();
      visitor.rUnlock();
    }
    Document doc = storedRaw(locks, "doc");
    assertEquals(1, doc.getList("holders", Document.class).size(), doc.toJson());
    assertEquals(
        Set.of(longReader.leaseKeeper().sessionID),
        doc.get("leases", Document.class).keySet(),
        "only the long reader's lease is left: " + doc.toJson());
    longReader.rUnlock();
    assertNull(storedRaw(locks, "doc"));
  }

  @Test
  void aSessionKeepsItsLeaseWhileAnotherOfItsClientsStillHolds(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    RWMutex a = new RWMutex(locks, "shared", "a", fast());
    RWMutex b = new RWMutex(locks, "shared", "b", fast());
    a.rLock();
    b.rLock();
    a.rUnlock();
    Document doc = storedRaw(locks, "shared");
    String session = b.leaseKeeper().sessionID;
    assertEquals(List.of("b"), doc.getList("readers", String.class));
    assertEquals(Set.of(session), doc.get("leases", Document.class).keySet(), doc.toJson());
    b.rUnlock();
    assertNull(storedRaw(locks, "shared"));
  }

  @Test
  void aReadTakeoverRemovesTheLeaseKeysOfTheHoldersItReplaced(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    // a stale lock of another process: its expiresAt has passed, its holder left a lease
    locks.insertOne(
        new Document("lockID", "old")
            .append("writer", "gone")
            .append("readers", List.of())
            .append("expiresAt", new Date(System.currentTimeMillis() - 60_000))
            .append("holders", List.of(new Document("c", "gone").append("s", "S-GONE")))
            .append(
                "leases",
                new Document("S-GONE", new Document("at", new Date()).append("ms", 3_600_000L))));
    RWMutex reader = new RWMutex(locks, "old", "reader", fast());
    assertTrue(reader.tryRLock(Duration.ofSeconds(10)));
    Document doc = storedRaw(locks, "old");
    assertEquals(List.of("reader"), doc.getList("readers", String.class), doc.toJson());
    assertEquals(
        Set.of(reader.leaseKeeper().sessionID),
        doc.get("leases", Document.class).keySet(),
        doc.toJson());
    reader.rUnlock();
  }

  @Test
  void lockStaysExclusiveAfterItsCollectionIsDroppedWhileTheJvmRuns(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    RWMutex first = new RWMutex(locks, "x", "first", fast());
    RWMutex second = new RWMutex(locks, "x", "second", fast());
    first.lock(); // creates the indexes; this JVM will not check them again
    first.unlock();
    locks.drop(); // the next insert re-creates the collection with only the _id index

    first.lock();
    assertFalse(second.tryLock(), "a second document for the same lock would be a second writer");
    assertFalse(second.tryRLock());
    assertEquals(1, locks.countDocuments(Filters.eq("lockID", "x")));
    first.unlock();
    assertTrue(second.tryLock());
    second.unlock();
  }

  @Test
  void lockStateIsReadFromThePrimaryWhateverTheCallersReadPreference(MongoDatabase db) {
    List<ReadPreference> seen = Collections.synchronizedList(new ArrayList<>());
    MongoCollection<Document> locks =
        recordingReadPreference(
            freshCollection(db).withReadPreference(ReadPreference.secondaryPreferred()), seen);
    RWMutex holder = new RWMutex(locks, "rp", "holder", fast());
    RWMutex waiter = new RWMutex(locks, "rp", "waiter", fast());
    holder.lock();
    assertFalse(waiter.tryLock(Duration.ofMillis(300))); // reads the document while waiting
    holder.unlock();
    assertFalse(seen.isEmpty(), "the waiter read the document");
    assertEquals(Set.of(ReadPreference.primary()), Set.copyOf(seen));
  }

  /** A collection (and the ones derived from it) that records the read preference of each find. */
  private static MongoCollection<Document> recordingReadPreference(
      MongoCollection<Document> delegate, List<ReadPreference> seen) {
    return LockTestSupport.intercepted(
        delegate,
        (method, target, call) -> {
          if (method.equals("find")) {
            seen.add(target.getReadPreference());
          }
          return call.proceed();
        });
  }

  @Test
  void twoReadersReleasingAtOnceLeaveNoDocumentBehind(MongoDatabase db) {
    MongoCollection<Document> plain = freshCollection(db);
    RWMutex b = new RWMutex(plain, "tidy", "b", fast());
    LockHandle bHold = b.acquireRead();
    // As two readers that release at once: a's delete meets b's entry, then b's delete meets a's
    // (still there), b falls back to its update, and only then does a send its own update.
    AtomicBoolean raced = new AtomicBoolean();
    MongoCollection<Document> racing =
        afterFirstDelete(
            plain,
            () -> {
              bHold.close();
              raced.set(true);
            });
    RWMutex a = new RWMutex(racing, "tidy", "a", fast());
    a.rLock();
    a.rUnlock();
    assertTrue(raced.get(), "b released between a's delete and a's update");
    assertNull(storedRaw(plain, "tidy"), "the free document was deleted");
    assertTrue(b.tryLock(), "and the lock is free");
    b.unlock();
  }

  /** A collection that runs {@code race} once, right after its first deleteOne. */
  private static MongoCollection<Document> afterFirstDelete(
      MongoCollection<Document> delegate, Runnable race) {
    AtomicBoolean done = new AtomicBoolean();
    return LockTestSupport.intercepted(
        delegate,
        (method, target, call) -> {
          Object result = call.proceed();
          if (method.equals("deleteOne") && done.compareAndSet(false, true)) {
            race.run();
          }
          return result;
        });
  }

  @Test
  void aSingleAttemptThatLosesTheInsertRaceToACompatibleHolderJoinsIt(MongoDatabase db) {
    MongoCollection<Document> plain = freshCollection(db);
    RWMutex other = new RWMutex(plain, "race", "other", fast());
    AtomicBoolean raced = new AtomicBoolean();
    // As on mongod: this upsert found no document, then the other reader's insert came first, so
    // this one's insert collides with it (11000), although the lock is free for readers.
    MongoCollection<Document> racing =
        beforeFirstUpsert(
            plain,
            () -> {
              other.rLock();
              raced.set(true);
            });
    RWMutex reader = new RWMutex(racing, "race", "reader", fast());
    assertTrue(reader.tryRLock(), "a compatible hold is not 'held'");
    assertTrue(raced.get());
    Document doc = storedRaw(plain, "race");
    assertEquals(Set.of("other", "reader"), Set.copyOf(doc.getList("readers", String.class)));
    reader.rUnlock();
    other.rUnlock();
    assertNull(storedRaw(plain, "race"));
  }

  /**
   * A collection whose first upsert runs {@code race} and then fails with the duplicate key error
   * that mongod reports when two upserts insert the same key at once.
   */
  @SuppressWarnings("unchecked")
  private static MongoCollection<Document> beforeFirstUpsert(
      MongoCollection<Document> delegate, Runnable race) {
    AtomicBoolean done = new AtomicBoolean();
    return (MongoCollection<Document>)
        Proxy.newProxyInstance(
            MongoCollection.class.getClassLoader(),
            new Class<?>[] {MongoCollection.class},
            (proxy, method, args) -> {
              if (method.getName().equals("updateOne")
                  && args.length == 3
                  && args[2] instanceof UpdateOptions o
                  && o.isUpsert()
                  && done.compareAndSet(false, true)) {
                race.run();
                throw new MongoWriteException(
                    new WriteError(
                        11000, "E11000 duplicate key error (simulated race)", new BsonDocument()),
                    new ServerAddress(),
                    Set.of());
              }
              Object result;
              try {
                result = method.invoke(delegate, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
              if (method.getName().startsWith("with") && result instanceof MongoCollection<?> c) {
                return beforeFirstUpsert((MongoCollection<Document>) c, race);
              }
              return result;
            });
  }

  @Test
  void setupOnACollectionShardedOnAnotherKeySaysHowToShardIt(MongoDatabase db) {
    MongoCollection<Document> plain = freshCollection(db);
    @SuppressWarnings("unchecked")
    MongoCollection<Document> sharded =
        (MongoCollection<Document>)
            Proxy.newProxyInstance(
                MongoCollection.class.getClassLoader(),
                new Class<?>[] {MongoCollection.class},
                new java.lang.reflect.InvocationHandler() {
                  @Override
                  public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args)
                      throws Throwable {
                    if (method.getName().equals("createIndex")) {
                      // mongod's refusal when the shard key is not a prefix of the unique index
                      throw new MongoCommandException(
                          BsonDocument.parse(
                              "{ok: 0, code: 67, codeName: 'CannotCreateIndex', errmsg: 'cannot"
                                  + " create unique index over { lockID: 1 } with shard key"
                                  + " pattern { region: 1 }'}"),
                          new ServerAddress());
                    }
                    try {
                      Object result = method.invoke(plain, args);
                      return method.getName().startsWith("with") ? proxy : result;
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                  }
                });
    RWMutex mutex = new RWMutex(sharded, "s", "client", fast());
    LockAcquisitionException e = assertThrows(LockAcquisitionException.class, mutex::lock);
    assertTrue(e.getMessage().contains("sharded on {lockID: 1}"), e.getMessage());
    assertTrue(e.getMessage().contains("CannotCreateIndex"), e.getMessage());
    assertEquals("s", e.lockID());
    assertEquals(0, plain.countDocuments(), "nothing was written");
  }

  @Test
  void anUncontendedLockAndUnlockCostTwoCommandsInEachMode(TestMongo mongo) {
    List<String> commands = Collections.synchronizedList(new ArrayList<>());
    CommandListener listener =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            if (event.getDatabaseName().equals("commandcount")) {
              commands.add(event.getCommandName());
            }
          }
        };
    try (MongoClient client = mongo.newClient(listener)) {
      MongoDatabase database = client.getDatabase("commandcount");
      database.drop();
      MongoCollection<Document> locks = database.getCollection("locks");
      RWMutex mutex = new RWMutex(locks, "cycle", "client", fast());
      mutex.lock(); // first use: index setup
      mutex.unlock();
      commands.clear();
      for (int i = 0; i < 10; i++) {
        mutex.lock();
        mutex.unlock();
      }
      assertEquals(20, commands.size(), "write: " + commands);
      commands.clear();
      for (int i = 0; i < 10; i++) {
        mutex.rLock();
        mutex.rUnlock();
      }
      assertEquals(20, commands.size(), "read: " + commands);
      assertEquals(Set.of("update", "delete"), Set.copyOf(commands));
      database.drop();
    }
  }

  @Test
  void anExpiredLockIsFreeForASingleAttemptByTheServersClock(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    RWMutexOptions expiring = fast().toBuilder().expiresAt(Instant.now().plusMillis(200)).build();
    RWMutex old = new RWMutex(locks, "exp", "old", expiring);
    old.lock();
    RWMutex next = new RWMutex(locks, "exp", "next", fast());
    assertFalse(next.tryLock(), "not expired yet");
    assertFalse(next.tryRLock(), "not expired yet");
    LockTestSupport.sleep(400);
    assertTrue(next.tryLock(), "expiresAt has passed: free for one attempt");
    assertEquals("next", storedRaw(locks, "exp").getString("writer"));
    next.unlock();
  }

  @Test
  void aLapsedWriterWaitingMarkDoesNotKeepReadersOutOfASingleAttempt(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    RWMutex reader = new RWMutex(locks, "mark", "reader-1", fast());
    reader.rLock();
    // a waiting writer marked the lock 10 s ago with a 2 s mark, and then died
    locks.updateOne(
        Filters.eq("lockID", "mark"),
        Updates.set(
            "writerWaiting",
            new Document("client", "dead-writer")
                .append("at", new Date(System.currentTimeMillis() - 10_000))
                .append("ttlMs", 2_000L)));
    RWMutex another = new RWMutex(locks, "mark", "reader-2", fast());
    assertTrue(another.tryRLock(), "the mark has lapsed by the server's clock");
    another.rUnlock();
    reader.rUnlock();
  }

  @Test
  void aFreshWriterWaitingMarkKeepsNewReadersOut(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    RWMutex reader = new RWMutex(locks, "fresh", "reader-1", fast());
    reader.rLock();
    locks.updateOne(
        Filters.eq("lockID", "fresh"),
        Updates.combine(
            Updates.set("writerWaiting.client", "waiting-writer"),
            Updates.set("writerWaiting.ttlMs", 60_000L),
            Updates.currentDate("writerWaiting.at")));
    RWMutex another = new RWMutex(locks, "fresh", "reader-2", fast());
    assertFalse(another.tryRLock(), "a writer waits: new readers wait behind it");
    reader.rUnlock();
  }
}
