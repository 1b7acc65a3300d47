package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.fast;
import static io.github.mongolock.LockTestSupport.freshCollection;
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
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad input is refused before anything is written; the seed's administrative takeover. */
@ExtendWith(MongoExtension.class)
class BadInputAndAdminTest {

  private MongoDatabase db;
  private MongoCollection<Document> locks;

  @BeforeEach
  void freshLocks(MongoDatabase db) {
    this.db = db;
    locks = freshCollection(db);
  }

  private void assertNothingWritten() {
    assertEquals(0, locks.countDocuments());
    assertFalse(
        db.listCollectionNames()
            .into(new java.util.ArrayList<>())
            .contains(locks.getNamespace().getCollectionName()),
        "not even the collection or its index was created");
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "\t"})
  void blankLockIdIsRefusedNamingTheArgument(String lockID) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new RWMutex(locks, lockID, "client_1"));
    assertTrue(e.getMessage().startsWith("lockID must not be null or blank"), e.getMessage());
    assertTrue(e.getMessage().contains("client_1"), e.getMessage());
    assertNothingWritten();
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" "})
  void blankClientIdIsRefusedNamingTheArgument(String clientID) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new RWMutex(locks, "lock_1", clientID));
    assertTrue(e.getMessage().startsWith("clientID must not be null or blank"), e.getMessage());
    assertTrue(e.getMessage().contains("lock_1"), e.getMessage());
    assertNothingWritten();
  }

  @Test
  void nullCollectionAndOptionsAreRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new RWMutex(null, "lock_1", "c"));
    assertTrue(e.getMessage().startsWith("collection must not be null"), e.getMessage());
    assertTrue(e.getMessage().contains("lock_1") && e.getMessage().contains("c"));
    assertThrows(IllegalArgumentException.class, () -> new RWMutex(locks, "lock_1", "c", null));
    assertNothingWritten();
  }

  @Test
  void badOptionsAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> RWMutexOptions.builder().sleepTime(Duration.ZERO).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> RWMutexOptions.builder().sleepTime(Duration.ofMillis(-5)).build());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                RWMutexOptions.builder()
                    .sleepTime(Duration.ofMillis(10))
                    .minSleepTime(Duration.ofMillis(20))
                    .build());
    assertTrue(e.getMessage().contains("minSleepTime"), e.getMessage());
  }

  @Test
  void theUniqueIndexIsCreatedOnFirstUse() {
    new RWMutex(locks, "lock_1", "a", fast()).lock();
    boolean unique =
        locks.listIndexes().into(new java.util.ArrayList<>()).stream()
            .anyMatch(
                i ->
                    i.get("key", Document.class).containsKey("lockID")
                        && Boolean.TRUE.equals(i.getBoolean("unique")));
    assertTrue(unique, "unique index on lockID");
  }

  // ------------------------------------------------------------------ seed admin takeover

  @Test
  void tryOverrideLockWriterTakesOverFromTheNamedWriter() {
    new RWMutex(locks, "lock_1", "old", fast()).lock();
    RWMutex admin = new RWMutex(locks, "lock_1", "admin", fast());
    admin.tryOverrideLockWriter("old", false);
    assertEquals("admin", stored(locks, "lock_1").get("writer"));
    admin.unlock(); // as in the seed, the overriding client may release it
    assertNull(stored(locks, "lock_1"));
  }

  @Test
  void tryOverrideLockWriterFailsWithTheSeedMessages() {
    RWMutex admin = new RWMutex(locks, "lock_1", "admin", fast());
    LockOverrideException notFound =
        assertThrows(LockOverrideException.class, () -> admin.tryOverrideLockWriter("old", false));
    assertEquals("error overriding lock lock_1: lock not found", notFound.getMessage());
    assertNull(stored(locks, "lock_1"));

    new RWMutex(locks, "lock_1", "someone-else", fast()).lock();
    LockOverrideException switched =
        assertThrows(LockOverrideException.class, () -> admin.tryOverrideLockWriter("old", true));
    assertEquals(
        "error overriding lock lock_1: lock already held by another writer", switched.getMessage());
    assertEquals("someone-else", stored(locks, "lock_1").get("writer"));
  }

  @Test
  void tryOverrideLockWriterWithUpsertCreatesTheLock() {
    new RWMutex(locks, "lock_1", "admin", fast()).tryOverrideLockWriter("", true);
    assertEquals(
        new Document("lockID", "lock_1").append("writer", "admin").append("readers", List.of()),
        stored(locks, "lock_1"));
  }

  @Test
  void conditionalOverrideAsksTheConditionWithOldAndNewWriter() {
    new RWMutex(locks, "lock_1", "old", fast()).lock();
    RWMutex admin = new RWMutex(locks, "lock_1", "admin", fast());
    AtomicReference<String> asked = new AtomicReference<>();
    assertFalse(
        admin.conditionalOverrideLockWriter(
            (oldWriter, newWriter) -> {
              asked.set(oldWriter + "->" + newWriter);
              return false;
            },
            true,
            Duration.ofSeconds(1)));
    assertEquals("old->admin", asked.get());
    assertEquals("old", stored(locks, "lock_1").get("writer"));

    assertTrue(
        admin.conditionalOverrideLockWriter(
            (o, n) -> o.equals("old"), true, Duration.ofSeconds(1)));
    assertEquals("admin", stored(locks, "lock_1").get("writer"));
  }

  @Test
  void conditionalOverrideWithoutALock() {
    RWMutex admin = new RWMutex(locks, "lock_1", "admin", fast());
    assertFalse(admin.conditionalOverrideLockWriter((o, n) -> true, false, Duration.ofSeconds(1)));
    assertNull(stored(locks, "lock_1"));
    assertTrue(admin.conditionalOverrideLockWriter((o, n) -> true, true, Duration.ofSeconds(1)));
    assertEquals("admin", stored(locks, "lock_1").get("writer"));
  }
}
