package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.await;
import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.onThread;
import static io.github.mongolock.LockTestSupport.storedRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.MongoExtension;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A runtime of one's own: its threads stop and its holds are given up when it is closed. */
@ExtendWith(MongoExtension.class)
class LockRuntimeTest {

  @Test
  void closingGivesUpTheHoldsTellsTheirListenersAndStopsTheThreads(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    LockRuntime runtime = LockRuntime.create();
    RWMutex writer = new RWMutex(runtime, locks, "w", "writer", fast());
    RWMutex reader = new RWMutex(runtime, locks, "r", "reader", fast());
    List<String> lost = Collections.synchronizedList(new ArrayList<>());
    writer.addLockLostListener((lock, client, mode) -> lost.add(lock + "/" + mode));
    reader.addLockLostListener((lock, client, mode) -> lost.add(lock + "/" + mode));
    writer.lock();
    reader.rLock();

    runtime.close();

    assertEquals(Set.of("w/WRITE", "r/READ"), Set.copyOf(lost));
    assertNull(storedRaw(locks, "w"), "released in MongoDB");
    assertNull(storedRaw(locks, "r"));
    assertFalse(writer.isHeld());
    assertThrows(LockLostException.class, writer::unlock);
    assertThrows(LockLostException.class, reader::rUnlock);
    IllegalStateException refused = assertThrows(IllegalStateException.class, writer::tryLock);
    assertTrue(refused.getMessage().contains("closed"), refused.getMessage());
    assertTrue(runtime.engine.isClosed());
    runtime.close(); // idempotent
  }

  @Test
  void aClosedRuntimesThreadsAreGone(MongoDatabase db) throws Exception {
    MongoCollection<Document> locks = freshCollection(db);
    Set<String> before = names();
    LockRuntime runtime = LockRuntime.create();
    RWMutex mutex = new RWMutex(runtime, locks, "t", "c", fast());
    mutex.lock();
    Set<String> during = names();
    during.removeAll(before);
    assertFalse(during.isEmpty(), "the runtime started its heartbeat and watch threads");
    runtime.close();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (during.contains(t.getName())) {
        t.join(5_000);
        assertFalse(t.isAlive(), t.getName() + " stopped");
      }
    }
  }

  private static Set<String> names() {
    Set<String> names = new java.util.HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith("mongo-lock-")) {
        names.add(t.getName());
      }
    }
    return names;
  }

  @Test
  void unlockFromAnotherThreadOfTheClientSaysWhatIsTrue(MongoDatabase db) {
    MongoCollection<Document> locks = freshCollection(db);
    RWMutex mutex = new RWMutex(locks, "other-thread", "client", fast());
    mutex.lock();
    LockNotHeldException e =
        assertThrows(
            LockNotHeldException.class, () -> await(onThread("other", () -> mutex.unlock())));
    assertTrue(e.getMessage().contains("another thread of client client holds it"), e.getMessage());
    assertTrue(e.getMessage().contains("LockHandle"), e.getMessage());
    assertTrue(mutex.isWriteLockedByCurrentThread(), "still held by the locking thread");
    mutex.unlock();
  }
}
