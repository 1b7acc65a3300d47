package io.github.mongolock.aspect;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.RWMutex;
import io.github.mongolock.testkit.TestMongo;
import org.bson.Document;

/**
 * Looks at locks from outside the application under test: its own MongoClient and client ID, so
 * "can I take it?" is answered by MongoDB, not by the application's JVM-local state.
 */
final class LockProbe implements AutoCloseable {

  static final String CLIENT_ID = "probe";

  private final MongoClient client;
  private final MongoCollection<Document> locks;

  LockProbe(MongoDatabase database) {
    this(database, "locks");
  }

  LockProbe(MongoDatabase database, String collection) {
    client = TestMongo.get().newClient();
    locks = client.getDatabase(database.getName()).getCollection(collection);
  }

  RWMutex mutex(String lockId) {
    return new RWMutex(locks, lockId, CLIENT_ID);
  }

  /** True when another client could take the write lock now (it takes and releases it). */
  boolean canWrite(String lockId) {
    RWMutex mutex = mutex(lockId);
    if (mutex.tryLock()) {
      mutex.unlock();
      return true;
    }
    return false;
  }

  /** True when another client could take the read lock now (it takes and releases it). */
  boolean canRead(String lockId) {
    RWMutex mutex = mutex(lockId);
    if (mutex.tryRLock()) {
      mutex.rUnlock();
      return true;
    }
    return false;
  }

  /** "free", "read" (held for reading only) or "write", as another client sees it. */
  String state(String lockId) {
    if (canWrite(lockId)) {
      return "free";
    }
    return canRead(lockId) ? "read" : "write";
  }

  @Override
  public void close() {
    client.close();
  }
}
