package io.github.mongolock.aspect;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
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

  /** The stored lock document, read through this probe's own client; null when there is none. */
  Document stored(String lockId) {
    return locks.find(Filters.eq("lockID", lockId)).first();
  }

  /** The {@code ms} of the lock's only lease entry ({@code leases.<session>.ms}). */
  long leaseMs(String lockId) {
    Document document = stored(lockId);
    if (document == null) {
      throw new AssertionError("no lock document " + lockId);
    }
    Document leases = document.get("leases", Document.class);
    if (leases == null || leases.size() != 1) {
      throw new AssertionError("expected one lease on " + lockId + ": " + document.toJson());
    }
    Document lease = (Document) leases.values().iterator().next();
    return ((Number) lease.get("ms")).longValue();
  }

  /** Removes the lock behind its holders' backs, as an administrator (or a buggy client) might. */
  void delete(String lockId) {
    locks.deleteOne(Filters.eq("lockID", lockId));
  }

  @Override
  public void close() {
    client.close();
  }
}
