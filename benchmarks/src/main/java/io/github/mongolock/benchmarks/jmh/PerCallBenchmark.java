package io.github.mongolock.benchmarks.jmh;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.combine;
import static com.mongodb.client.model.Updates.set;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.UpdateOptions;
import io.github.mongolock.RWMutex;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Time per uncontended lock+unlock call, one thread, against the raw driver doing the equivalent
 * upsert + delete. The server is the harness's ({@code -Dbench.uri}); run through {@code
 * BenchMain}, which interleaves these benchmarks over several forks and reports their ratio.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PerCallBenchmark {

  private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);

  private MongoClient client;
  private RWMutex mutex;
  private MongoCollection<Document> raw;
  private final Bson rawId = eq("lockID", "jmh-raw");
  private final Bson rawUpdate = combine(set("writer", "jmh"), set("readers", List.of()));

  @Setup
  public void connect() {
    client = MongoClients.create(System.getProperty("bench.uri", "mongodb://127.0.0.1:27017"));
    MongoDatabase database = client.getDatabase(System.getProperty("bench.db", "mongolock_bench"));
    mutex = new RWMutex(database.getCollection("locks"), "jmh-ours", "jmh");
    raw = database.getCollection("raw");
    raw.createIndex(Indexes.ascending("lockID"), new IndexOptions().unique(true));
  }

  @TearDown
  public void close() {
    client.close();
  }

  @Benchmark
  public void oursWriteLockUnlock() {
    mutex.lock();
    mutex.unlock();
  }

  @Benchmark
  public void rawUpsertDelete() {
    raw.updateOne(rawId, rawUpdate, UPSERT);
    raw.deleteOne(rawId);
  }
}
