package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.await;
import static io.github.mongolock.LockTestSupport.freshCollection;
import static io.github.mongolock.LockTestSupport.onThread;
import static io.github.mongolock.LockTestSupport.sleep;
import static io.github.mongolock.LockTestSupport.stored;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.MongoExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The behaviour every configuration of {@link RWMutex} owes, on every server the testkit reaches
 * (as ShedLock's AbstractLockProviderIntegrationTest and Curator's TestInterProcessMutexBase):
 * every behaviour of mongo-lock-node's own integration suite, on the same stored document, with
 * this library's counted re-entry where the seed differed. Each subclass names a configuration.
 */
@ExtendWith(MongoExtension.class)
abstract class RWMutexContract {

  static final String LOCK = "lockID";
  MongoCollection<Document> locks;

  /** The options of the configuration under test (fast polling in every one of them). */
  abstract RWMutexOptions options();

  /** A mutex of the configuration under test. */
  RWMutex newMutex(MongoCollection<Document> collection, String lockID, String client) {
    return new RWMutex(collection, lockID, client, options());
  }

  @BeforeEach
  void freshLocks(MongoDatabase db) {
    locks = freshCollection(db);
  }

  private RWMutex mutex(String client) {
    return newMutex(locks, LOCK, client);
  }

  private static Document doc(String writer, List<String> readers) {
    return new Document("lockID", LOCK).append("writer", writer).append("readers", readers);
  }

  @Test
  void lockInsertsTheDocumentWhenNoneExists() {
    mutex("1").lock();
    assertEquals(doc("1", List.of()), stored(locks, LOCK));
  }

  @Test
  void rLockInsertsTheDocumentWhenNoneExists() {
    mutex("1").rLock();
    assertEquals(doc("", List.of("1")), stored(locks, LOCK));
  }

  @Test
  void writeReentryIsCountedAndKeepsTheDocument() {
    RWMutex lock = mutex("1");
    lock.lock();
    lock.lock();
    assertEquals(doc("1", List.of()), stored(locks, LOCK));
    lock.unlock();
    assertEquals(doc("1", List.of()), stored(locks, LOCK), "still held once");
    lock.unlock();
    assertNull(stored(locks, LOCK));
  }

  @Test
  void readReentryIsCountedAndKeepsTheDocument() {
    RWMutex lock = mutex("1");
    lock.rLock();
    lock.rLock();
    assertEquals(doc("", List.of("1")), stored(locks, LOCK));
    lock.rUnlock();
    assertEquals(doc("", List.of("1")), stored(locks, LOCK));
    lock.rUnlock();
    assertNull(stored(locks, LOCK));
  }

  @Test
  void unlockOfALockNotHeldFailsWithTheSeedMessage() {
    LockNotHeldException e = assertThrows(LockNotHeldException.class, () -> mutex("1").unlock());
    assertEquals("lock lockID not currently held by client: 1", e.getMessage());
    assertEquals("lockID", e.lockID());
    assertEquals("1", e.clientID());
    assertNull(stored(locks, LOCK));
  }

  @Test
  void rUnlockOfALockNotHeldFailsWithTheSeedMessage() {
    LockNotHeldException e = assertThrows(LockNotHeldException.class, () -> mutex("1").rUnlock());
    assertEquals("lock lockID not currently held by client: 1", e.getMessage());
  }

  @Test
  void unlockOfAnotherClientsLockFailsAndLeavesItHeld() {
    mutex("1").lock();
    assertThrows(LockNotHeldException.class, () -> mutex("2").unlock());
    assertEquals(doc("1", List.of()), stored(locks, LOCK));
  }

  @Test
  void rUnlockOfTheWriteLockFails() {
    RWMutex lock = mutex("1");
    lock.lock();
    assertThrows(LockNotHeldException.class, lock::rUnlock);
    assertEquals(doc("1", List.of()), stored(locks, LOCK));
    lock.unlock();
  }

  @Test
  void releaseRemovesTheDocument() {
    RWMutex lock = mutex("1");
    lock.lock();
    lock.unlock();
    assertNull(stored(locks, LOCK));
    lock.rLock();
    lock.rUnlock();
    assertNull(stored(locks, LOCK));
  }

  @Test
  void aWriterWaitsForAWriter() {
    mutex("1").lock();
    long start = System.nanoTime();
    CompletableFuture<Void> second = onThread("writer-2", () -> mutex("2").lock());
    sleep(300);
    assertFalse(second.isDone(), "the second writer must wait");
    Document held = stored(locks, LOCK);
    assertEquals("1", held.get("writer"));
    assertEquals(List.of(), held.get("readers"));
    if (options().writerPreference()) {
      assertEquals("2", held.get("writerWaiting", Document.class).get("client"), "marked waiting");
    } else {
      assertFalse(held.containsKey("writerWaiting"), "no mark without writer preference");
    }
    mutex("1").unlock();
    await(second);
    assertTrue(System.nanoTime() - start >= Duration.ofMillis(300).toNanos());
    assertEquals(doc("2", List.of()), stored(locks, LOCK));
  }

  @Test
  void aWriterWaitsForReaders() {
    mutex("1").rLock();
    mutex("3").rLock();
    CompletableFuture<Void> writer = onThread("writer-2", () -> mutex("2").lock());
    sleep(200);
    assertFalse(writer.isDone());
    mutex("1").rUnlock();
    sleep(200);
    assertFalse(writer.isDone(), "one reader is still there");
    mutex("3").rUnlock();
    await(writer);
    assertEquals(doc("2", List.of()), stored(locks, LOCK));
  }

  @Test
  void readersShare() {
    mutex("1").rLock();
    assertTrue(mutex("2").tryRLock());
    assertEquals(doc("", List.of("1", "2")), stored(locks, LOCK));
    mutex("1").rUnlock();
    assertEquals(doc("", List.of("2")), stored(locks, LOCK));
    mutex("2").rUnlock();
    assertNull(stored(locks, LOCK));
  }

  @Test
  void aReaderWaitsForAWriter() {
    mutex("1").lock();
    CompletableFuture<Void> reader = onThread("reader-2", () -> mutex("2").rLock());
    sleep(300);
    assertFalse(reader.isDone());
    mutex("1").unlock();
    await(reader);
    assertEquals("", stored(locks, LOCK).get("writer"));
    assertEquals(List.of("2"), stored(locks, LOCK).get("readers"));
  }

  @Test
  void expiresAtIsStoredAndAnExpiredWriterIsTakenOver() {
    Instant expiry = Instant.now().plusMillis(700);
    RWMutex first = new RWMutex(locks, LOCK, "1", options().toBuilder().expiresAt(expiry).build());
    first.lock();
    assertEquals(expiry.toEpochMilli(), stored(locks, LOCK).getDate("expiresAt").getTime());
    assertFalse(mutex("2").tryLock(), "not expired yet");
    long start = System.nanoTime();
    mutex("2").lock();
    assertTrue(System.nanoTime() - start > Duration.ofMillis(200).toNanos());
    Document taken = stored(locks, LOCK);
    assertEquals("2", taken.get("writer"));
    assertFalse(taken.containsKey("expiresAt"), "the new holder set no expiry: " + taken);
    // the expired holder no longer holds it in MongoDB
    assertThrows(LockLostException.class, first::unlock, "its hold was lost to the expiry");
    mutex("2").unlock();
  }

  @Test
  void anExpiredReaderIsTakenOverByAWriterAndAReaderWaitsNotForIt() {
    RWMutexOptions expiring =
        options().toBuilder().expiresAt(Instant.now().plusMillis(500)).build();
    new RWMutex(locks, LOCK, "1", expiring).rLock();
    assertEquals(List.of("1"), stored(locks, LOCK).get("readers"));
    mutex("2").lock(Duration.ofSeconds(10));
    assertEquals(doc("2", List.of()), stored(locks, LOCK));
    mutex("2").unlock();

    new RWMutex(
            locks,
            LOCK,
            "3",
            options().toBuilder().expiresAt(Instant.now().plusMillis(300)).build())
        .lock();
    mutex("4").rLock(Duration.ofSeconds(10));
    assertEquals(doc("", List.of("4")), stored(locks, LOCK));
  }
}
