package io.github.mongolock.testkit.strict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.result.UpdateResult;
import de.bwaldvogel.mongo.MongoServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two upserts of a missing document, made to race: the window is a barrier, so both have matched
 * nothing before either inserts (no timing involved; the barrier's timeout only turns a broken test
 * into a failure instead of a hang).
 */
class UpsertRaceTest {

  private StrictBackend backend;
  private MongoServer server;
  private final List<MongoClient> clients = new ArrayList<>();
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  /** Upserts that matched nothing and entered the window: 2 means they really raced. */
  private final java.util.concurrent.atomic.AtomicInteger inWindow =
      new java.util.concurrent.atomic.AtomicInteger();

  @BeforeEach
  void start() {
    backend = new StrictBackend();
    server = StrictBackend.serve(backend);
    CyclicBarrier bothMatched = new CyclicBarrier(2);
    backend.upsertWindow(
        () -> {
          inWindow.incrementAndGet();
          try {
            bothMatched.await(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new IllegalStateException("the other upsert never reached the window", e);
          }
        });
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
    clients.forEach(MongoClient::close);
    server.shutdownNow();
  }

  /** One client per racer, so each has its own connection (and server thread). */
  private MongoCollection<Document> collection() {
    MongoClient client = MongoClients.create(StrictBackend.uri(server));
    clients.add(client);
    return client.getDatabase("race").getCollection("locks");
  }

  private <T> List<Object> race(Callable<T> a, Callable<T> b) throws InterruptedException {
    List<Future<T>> futures = List.of(pool.submit(a), pool.submit(b));
    List<Object> outcomes = new ArrayList<>();
    for (Future<T> future : futures) {
      try {
        outcomes.add(future.get(60, TimeUnit.SECONDS));
      } catch (ExecutionException e) {
        outcomes.add(e.getCause());
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError("race did not finish", e);
      }
    }
    return outcomes;
  }

  @Test
  void theLoserOfAnEqualityOnIdIsRetriedAsAnUpdateLikeMongod() throws Exception {
    MongoCollection<Document> a = collection();
    MongoCollection<Document> b = collection();
    Document query = new Document("_id", "lock");
    Document inc = new Document("$inc", new Document("n", 1));
    UpdateOptions upsert = new UpdateOptions().upsert(true);
    List<Object> outcomes =
        race(() -> a.updateOne(query, inc, upsert), () -> b.updateOne(query, inc, upsert));
    UpdateResult first = (UpdateResult) outcomes.get(0);
    UpdateResult second = (UpdateResult) outcomes.get(1);
    assertEquals(
        1,
        (first.getUpsertedId() != null ? 1 : 0) + (second.getUpsertedId() != null ? 1 : 0),
        "exactly one inserted: " + outcomes);
    assertEquals(1, first.getMatchedCount() + second.getMatchedCount(), "the other updated");
    assertEquals(2, a.find(query).first().getInteger("n"));
    assertEquals(2, inWindow.get(), "both upserts matched nothing: the loser's insert collided");
  }

  @Test
  void theLoserOfAQueryWiderThanTheIndexGetsDuplicateKey() throws Exception {
    MongoCollection<Document> a = collection();
    MongoCollection<Document> b = collection();
    UpdateOptions upsert = new UpdateOptions().upsert(true);
    Document set = new Document("$set", new Document("at", 1));
    List<Object> outcomes =
        race(
            () -> a.updateOne(new Document("_id", "lock").append("owner", "a"), set, upsert),
            () -> b.updateOne(new Document("_id", "lock").append("owner", "b"), set, upsert));
    List<Object> failures = outcomes.stream().filter(o -> o instanceof Throwable).toList();
    assertEquals(1, failures.size(), "one winner, one loser: " + outcomes);
    MongoWriteException loser = assertInstanceOf(MongoWriteException.class, failures.get(0));
    assertEquals(11000, loser.getError().getCode());
    assertEquals(1, a.countDocuments());
    assertEquals(2, inWindow.get());
  }

  @Test
  void findAndModifyUpsertsRaceAndRetryToo() throws Exception {
    MongoCollection<Document> a = collection();
    MongoCollection<Document> b = collection();
    Document query = new Document("_id", "lock");
    Document inc = new Document("$inc", new Document("n", 1));
    FindOneAndUpdateOptions upsert =
        new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER);
    List<Object> outcomes =
        race(
            () -> a.findOneAndUpdate(query, inc, upsert),
            () -> b.findOneAndUpdate(query, inc, upsert));
    List<Integer> counts =
        outcomes.stream().map(o -> ((Document) o).getInteger("n")).sorted().toList();
    assertEquals(List.of(1, 2), counts);
    assertEquals(2, inWindow.get(), "both matched nothing: the loser was retried as an update");
  }
}
