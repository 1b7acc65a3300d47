package io.github.mongolock;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.FaultProxy;
import io.github.mongolock.testkit.TestMongo;
import org.bson.Document;

/**
 * A fresh lock collection reached two ways: directly, and through a loopback {@link FaultProxy} by
 * a client of its own without driver retries (the library's own resends are what is tested); with a
 * {@link LockRuntime} for the mutexes that go through the proxy.
 */
final class ProxiedLocks implements AutoCloseable {

  final FaultProxy proxy;
  final MongoClient viaProxy;
  final MongoCollection<Document> locks;
  final MongoCollection<Document> locksViaProxy;
  final LockRuntime runtime;

  /** A collection named {@code prefix} followed by the current {@link System#nanoTime()}. */
  ProxiedLocks(MongoDatabase db, TestMongo mongo, String prefix) {
    proxy = FaultProxy.inFrontOf(mongo);
    viaProxy = MongoClients.create(proxy.uri("retryWrites=false&retryReads=false"));
    String name = prefix + System.nanoTime();
    locks = db.getCollection(name);
    locksViaProxy = viaProxy.getDatabase(db.getName()).getCollection(name);
    runtime = LockRuntime.create();
  }

  /** Clears the proxy's faults, then closes the runtime, the client and the proxy. */
  @Override
  public void close() {
    proxy.clear();
    runtime.close();
    viaProxy.close();
    proxy.close();
  }
}
