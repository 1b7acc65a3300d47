package io.github.mongolock.aspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.LockTimeoutException;
import io.github.mongolock.RWMutex;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.testkit.MongoExtension;
import java.time.Duration;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The programmatic API on its own, without Spring. */
@ExtendWith(MongoExtension.class)
class MongoLocksTest {

  @Test
  void holdsTheLockForTheBodyOnlyAndPropagatesItsExceptions(MongoDatabase database) {
    MongoLocks locks =
        new MongoLocks(database.getCollection("locks"), () -> "solo", Duration.ofSeconds(5));
    try (LockProbe probe = new LockProbe(database)) {
      assertEquals("write", locks.withWriteLock("job", () -> probe.state("job")));
      assertEquals("read", locks.withReadLock("job", () -> probe.state("job")));
      UnsupportedOperationException failure = new UnsupportedOperationException("no");
      assertSame(
          failure,
          assertThrows(
              UnsupportedOperationException.class,
              () ->
                  locks.withWriteLock(
                      "job",
                      () -> {
                        throw failure;
                      })));
      assertEquals("free", probe.state("job"));
    }
  }

  @Test
  void waitsUpToTheGivenTimeout(MongoDatabase database) {
    MongoLocks locks =
        new MongoLocks(database.getCollection("locks"), () -> "solo", Duration.ofSeconds(30));
    try (LockProbe probe = new LockProbe(database)) {
      RWMutex other = probe.mutex("busy");
      other.lock();
      try {
        LockTimeoutException e =
            assertThrows(
                LockTimeoutException.class,
                () -> locks.withReadLock("busy", Duration.ofMillis(100), () -> "never"));
        assertTrue(e.getMessage().contains("busy"), e.getMessage());
      } finally {
        other.unlock();
      }
    }
  }

  @Test
  void aBadClientIdFailsBeforeAnythingIsWritten(MongoDatabase database) {
    MongoCollection<Document> collection = database.getCollection("bad-client");
    MongoLocks locks = new MongoLocks(collection, () -> " ", Duration.ofSeconds(1));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> locks.withWriteLock("job", () -> "never"));
    assertTrue(e.getMessage().contains("blank"), e.getMessage());
    assertEquals(0, collection.countDocuments());
    assertEquals(0, collection.listIndexes().into(new java.util.ArrayList<>()).size());
  }

  @Test
  void theDefaultClientIdIsOnePerProcess(MongoDatabase database) {
    MongoLocks locks = new MongoLocks(database.getCollection("locks"));
    assertEquals(ClientIdProvider.perProcess().clientId(), locks.clientId());
    assertEquals(MongoLocks.DEFAULT_WAIT_TIMEOUT, locks.defaultWaitTimeout());
    assertEquals(Duration.ofSeconds(30), locks.defaultLeaseTime());
    assertEquals(MongoLocks.DEFAULT_LEASE_TIME, locks.mutex("job").options().leaseTime());
  }

  @Test
  void leasesComeFromTheOptionsOrTheCall(MongoDatabase database) {
    RWMutexOptions options = RWMutexOptions.builder().leaseTime(Duration.ofSeconds(12)).build();
    MongoLocks locks =
        new MongoLocks(
            database.getCollection("locks"), () -> "solo", Duration.ofSeconds(5), options);
    try (LockProbe probe = new LockProbe(database)) {
      assertEquals(Duration.ofSeconds(12), locks.defaultLeaseTime());
      assertSame(options, locks.mutex("job").options());
      assertEquals(12_000, locks.withWriteLock("job", () -> probe.leaseMs("job")));
      assertEquals(
          3_000,
          locks.withReadLock(
              "job", Duration.ofSeconds(1), Duration.ofSeconds(3), () -> probe.leaseMs("job")));
      assertEquals(
          90_000,
          locks.withWriteLock(
              "job", Duration.ofSeconds(1), Duration.ofSeconds(90), () -> probe.leaseMs("job")));
      assertEquals("free", probe.state("job"));
    }
  }

  @Test
  void aBadLeaseFailsBeforeAnythingIsWritten(MongoDatabase database) {
    MongoCollection<Document> collection = database.getCollection("bad-lease");
    MongoLocks locks = new MongoLocks(collection, () -> "solo", Duration.ofSeconds(1));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> locks.withWriteLock("job", Duration.ZERO, Duration.ZERO, () -> "never"));
    assertTrue(e.getMessage().contains("leaseTime"), e.getMessage());
    assertEquals(0, collection.countDocuments());
  }
}
