package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.fast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import io.github.mongolock.testkit.strict.StrictBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * First holders racing for a missing lock document, as they do on mongod: a strict server whose
 * upserts pause between their match and their insert until both have matched nothing (a barrier, no
 * timing), so the loser's insert collides with the winner's (11000).
 */
class UpsertRaceTest {

  private StrictBackend backend;
  private MongoServer server;
  private final List<MongoClient> clients = new ArrayList<>();
  private final ExecutorService pool = Executors.newFixedThreadPool(2);
  private final AtomicInteger raced = new AtomicInteger();

  @BeforeEach
  void start() {
    backend = new StrictBackend();
    server = StrictBackend.serve(backend);
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
    clients.forEach(MongoClient::close);
    server.shutdownNow();
  }

  /** Each racer has its own client, so its own connection and server thread. */
  private MongoCollection<Document> locks() {
    MongoClient client = MongoClients.create(StrictBackend.uri(server));
    clients.add(client);
    return client.getDatabase("race").getCollection("locks");
  }

  private void openWindowForTwo() {
    CyclicBarrier bothMatchedNothing = new CyclicBarrier(2);
    backend.upsertWindow(
        () -> {
          raced.incrementAndGet();
          try {
            bothMatchedNothing.await(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new IllegalStateException("the other upsert never reached the window", e);
          }
        });
  }

  private List<Boolean> race(RWMutex a, RWMutex b, Function<RWMutex, Boolean> attempt)
      throws Exception {
    openWindowForTwo();
    Future<Boolean> first = pool.submit(() -> attempt.apply(a));
    Future<Boolean> second = pool.submit(() -> attempt.apply(b));
    List<Boolean> outcomes =
        List.of(first.get(60, TimeUnit.SECONDS), second.get(60, TimeUnit.SECONDS));
    backend.upsertWindow(null);
    assertEquals(2, raced.get(), "both upserts matched nothing and raced to insert");
    return outcomes;
  }

  @Test
  void twoFirstReadersBothGetTheirSingleAttempt() throws Exception {
    MongoCollection<Document> locks = locks();
    RWMutex a = new RWMutex(locks, "r", "a", fast());
    RWMutex b = new RWMutex(locks(), "r", "b", fast());
    a.tryRLock(); // index setup, then out of the way
    a.rUnlock();
    assertEquals(List.of(true, true), race(a, b, RWMutex::tryRLock));
    Document doc = locks.find(new Document("lockID", "r")).first();
    assertEquals(Set.of("a", "b"), Set.copyOf(doc.getList("readers", String.class)));
    assertEquals(2, doc.getList("holders", Document.class).size());
  }

  @Test
  void ofTwoFirstWritersExactlyOneHolds() throws Exception {
    MongoCollection<Document> locks = locks();
    RWMutex a = new RWMutex(locks, "w", "a", fast());
    RWMutex b = new RWMutex(locks(), "w", "b", fast());
    a.tryLock();
    a.unlock();
    List<Boolean> outcomes = race(a, b, RWMutex::tryLock);
    assertEquals(1, outcomes.stream().filter(x -> x).count(), "outcomes " + outcomes);
    Document doc = locks.find(new Document("lockID", "w")).first();
    assertTrue(Set.of("a", "b").contains(doc.getString("writer")));
    assertEquals(1, locks.countDocuments(new Document("lockID", "w")));
  }

  @Test
  void aReaderAndAWriterRacingNeverBothHold() throws Exception {
    MongoCollection<Document> locks = locks();
    RWMutex reader = new RWMutex(locks, "rw", "reader", fast());
    RWMutex writer = new RWMutex(locks(), "rw", "writer", fast());
    reader.tryRLock();
    reader.rUnlock();
    openWindowForTwo();
    Future<Boolean> r = pool.submit(() -> reader.tryRLock());
    Future<Boolean> w = pool.submit(() -> writer.tryLock());
    boolean read = r.get(60, TimeUnit.SECONDS);
    boolean wrote = w.get(60, TimeUnit.SECONDS);
    backend.upsertWindow(null);
    assertEquals(2, raced.get());
    assertTrue(read ^ wrote, "exactly one of them: read " + read + ", wrote " + wrote);
  }
}
