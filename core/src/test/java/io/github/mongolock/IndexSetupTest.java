package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import io.github.mongolock.testkit.MongoExtension;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Automatic setup: the unique index on {@code lockID} and the heartbeat's index on {@code
 * holders.s} are created on first use; an existing compatible index is accepted; a conflicting one
 * is reported with the collection and index names. (The embedded server lists and enforces the
 * unique index but logs that it ignores the multikey index on {@code holders.s}; real MongoDB uses
 * it.)
 */
@ExtendWith(MongoExtension.class)
class IndexSetupTest {

  private static List<Document> indexes(MongoCollection<Document> collection) {
    return collection.listIndexes().into(new ArrayList<>());
  }

  private static Document index(MongoCollection<Document> collection, String field) {
    return indexes(collection).stream()
        .filter(i -> i.get("key", Document.class).containsKey(field))
        .findFirst()
        .orElse(null);
  }

  @Test
  void freshCollectionGetsBothIndexes(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    RWMutex mutex = new RWMutex(locks, "a", "1", fast());
    mutex.lock();
    mutex.unlock();
    Document lockID = index(locks, "lockID");
    assertEquals(Boolean.TRUE, lockID.get("unique"), lockID.toJson());
    assertTrue(index(locks, "holders.s") != null, "heartbeat index: " + indexes(locks));
    assertEquals(3, indexes(locks).size(), "_id, lockID, holders.s: " + indexes(locks));
  }

  @Test
  void existingCompatibleIndexIsAccepted(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    locks.createIndex(
        Indexes.ascending("lockID"), new IndexOptions().unique(true).name("my_unique_lock_ids"));
    RWMutex mutex = new RWMutex(locks, "a", "1", fast());
    mutex.lock();
    mutex.unlock();
    List<Document> all = indexes(locks);
    assertEquals(
        1,
        all.stream().filter(i -> i.get("key", Document.class).containsKey("lockID")).count(),
        "no second index on lockID: " + all);
    assertEquals("my_unique_lock_ids", index(locks, "lockID").getString("name"));
  }

  @Test
  void conflictingIndexIsReportedWithCollectionAndIndexNames(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    locks.createIndex(Indexes.ascending("lockID")); // not unique: two documents per lock possible
    RWMutex mutex = new RWMutex(locks, "a", "1", fast());
    LockAcquisitionException e = assertThrows(LockAcquisitionException.class, mutex::lock);
    String message = e.getMessage();
    assertTrue(message.contains(locks.getNamespace().getFullName()), message);
    assertTrue(message.contains("lockID_1") && message.contains("unique"), message);
    assertEquals(null, locks.find().first(), "nothing was written");
  }

  @Test
  void setupCanBeTurnedOff(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    RWMutex mutex = new RWMutex(locks, "a", "1", fast().toBuilder().ensureIndex(false).build());
    mutex.lock();
    mutex.unlock();
    assertEquals(1, indexes(locks).size(), "only _id: " + indexes(locks));
  }
}
