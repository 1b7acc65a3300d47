package io.github.mongolock.benchmarks.jmh;

import com.mongodb.MongoNamespace;
import com.mongodb.ReadConcern;
import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.client.ListIndexesIterable;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.result.DeleteResult;
import com.mongodb.client.result.UpdateResult;
import io.github.mongolock.LockHandle;
import io.github.mongolock.LockListener;
import io.github.mongolock.LockRuntime;
import io.github.mongolock.RWMutex;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.aspect.ClientIdProvider;
import io.github.mongolock.aspect.EnableMongoLocks;
import io.github.mongolock.aspect.MongoLocks;
import io.github.mongolock.aspect.WriteLocked;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.bson.Document;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What {@code @WriteLocked} (Spring proxy) and {@code MongoLocks.withWriteLock} cost per call on
 * top of the programmatic {@code lock(); try {...} finally { unlock(); }} on the same lock, and
 * what the same programmatic call costs when its runtime has a {@code LockListener}: one that does
 * nothing (the listener SPI's own cost) or a {@code MicrometerLockListener}. All run against a
 * collection that answers every write at once without I/O, so that a difference of about a
 * microsecond is not buried under a server round trip that varies by hundreds; {@link
 * Fixture#writesPerCall} lets the harness check that all send the same writes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AspectBenchmark {

  static final String LOCK = "aspect-bench";
  static final String CLIENT = "bench-client";
  static final Duration WAIT = MongoLocks.DEFAULT_WAIT_TIMEOUT;

  private Fixture fixture;

  @Setup
  public void start() {
    fixture = new Fixture();
  }

  @TearDown
  public void stop() {
    fixture.close();
  }

  @Benchmark
  public long programmatic() {
    return fixture.programmatic();
  }

  @Benchmark
  public long freshMutex() {
    return fixture.freshMutex();
  }

  @Benchmark
  public long mongoLocks() {
    return fixture.mongoLocks();
  }

  @Benchmark
  public long annotated() {
    return fixture.annotated();
  }

  @Benchmark
  public long noOpListener() {
    return fixture.noOpListener();
  }

  @Benchmark
  public long micrometerListener() {
    return fixture.micrometerListener();
  }

  /**
   * A Spring context with {@code @EnableMongoLocks} on a no-I/O collection, the runtimes with
   * listeners, and the calls.
   */
  public static final class Fixture implements AutoCloseable {
    private final LongAdder writes = new LongAdder();
    private final AnnotationConfigApplicationContext context;
    private final LockedService service;
    private final MongoLocks mongoLocks;
    private final MongoCollection<Document> collection;
    private final RWMutex mutex;
    private final LockRuntime noOpRuntime = LockRuntime.create();
    private final RWMutex noOpMutex;
    private final MicrometerRuntime micrometer = new MicrometerRuntime();
    private final RWMutex micrometerMutex;
    private long counter;

    public Fixture() {
      collection = noIoCollection(writes);
      context = new AnnotationConfigApplicationContext();
      context.registerBean(
          EnableMongoLocks.COLLECTION_BEAN_NAME, MongoCollection.class, () -> collection);
      context.registerBean(ClientIdProvider.class, () -> () -> CLIENT);
      context.register(Config.class);
      context.refresh();
      service = context.getBean(LockedService.class);
      mongoLocks = context.getBean(MongoLocks.class);
      mutex = new RWMutex(collection, LOCK, CLIENT);
      // every method of LockListener has a default that does nothing: what remains is the SPI's
      // bookkeeping (the acquire's report and the hold's watches), not any listener's work
      noOpRuntime.addListener(new LockListener() {});
      noOpMutex = new RWMutex(noOpRuntime, collection, LOCK, CLIENT, RWMutexOptions.defaults());
      micrometerMutex =
          new RWMutex(micrometer.runtime(), collection, LOCK, CLIENT, RWMutexOptions.defaults());
    }

    public long programmatic() {
      mutex.lock();
      try {
        return ++counter;
      } finally {
        mutex.unlock();
      }
    }

    /**
     * Programmatic, but the way {@code MongoLocks} does it: a new {@code RWMutex} and a timed
     * acquire per call. Separates that cost from the Spring and template cost.
     */
    public long freshMutex() {
      try (LockHandle held = new RWMutex(collection, LOCK, CLIENT).acquireWrite(WAIT)) {
        return ++counter;
      }
    }

    public long mongoLocks() {
      return mongoLocks.withWriteLock(LOCK, () -> ++counter);
    }

    public long annotated() {
      return service.locked();
    }

    /** Programmatic, in a runtime whose one listener does nothing. */
    public long noOpListener() {
      noOpMutex.lock();
      try {
        return ++counter;
      } finally {
        noOpMutex.unlock();
      }
    }

    /** Programmatic, in a runtime with a {@code MicrometerLockListener} (timers, no tracer). */
    public long micrometerListener() {
      micrometerMutex.lock();
      try {
        return ++counter;
      } finally {
        micrometerMutex.unlock();
      }
    }

    /**
     * Checks that the Micrometer listener timed {@code calls} acquires and as many holds, so that
     * its row measures calls that went through it.
     *
     * @param calls the {@link #micrometerListener()} calls made so far
     * @throws IllegalStateException naming the lock and client if it timed another number
     */
    public void checkMicrometerTimed(long calls) {
      long acquires = micrometer.acquiresTimed();
      long holds = micrometer.holdsTimed();
      if (acquires != calls || holds != calls) {
        throw new IllegalStateException(
            "MicrometerLockListener timed "
                + acquires
                + " acquires and "
                + holds
                + " holds of "
                + calls
                + " lock+unlock calls (lock "
                + LOCK
                + ", client "
                + CLIENT
                + ")");
      }
    }

    /** Writes (updateOne, deleteOne) the collection received per call of {@code call}. */
    public double writesPerCall(Runnable call, int calls) {
      call.run(); // first use creates indexes
      writes.reset();
      for (int i = 0; i < calls; i++) {
        call.run();
      }
      return writes.sum() / (double) calls;
    }

    @Override
    public void close() {
      context.close();
      noOpRuntime.close();
      micrometer.close();
    }
  }

  /** The locked bean; Spring proxies it. */
  public static class LockedService {
    private long calls;

    @WriteLocked(LOCK)
    public long locked() {
      return ++calls;
    }
  }

  @Configuration
  @EnableMongoLocks
  static class Config {
    @Bean
    LockedService lockedService() {
      return new LockedService();
    }
  }

  /** Every write succeeds at once: an uncontended lock with no server. */
  @SuppressWarnings("unchecked")
  static MongoCollection<Document> noIoCollection(LongAdder writes) {
    MongoNamespace namespace = new MongoNamespace("bench", "no_io");
    ListIndexesIterable<Document> noIndexes =
        (ListIndexesIterable<Document>)
            Proxy.newProxyInstance(
                AspectBenchmark.class.getClassLoader(),
                new Class<?>[] {ListIndexesIterable.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("into")) {
                    return args[0];
                  }
                  throw new UnsupportedOperationException("listIndexes()." + method.getName());
                });
    return (MongoCollection<Document>)
        Proxy.newProxyInstance(
            AspectBenchmark.class.getClassLoader(),
            new Class<?>[] {MongoCollection.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getNamespace" -> namespace;
                  case "getDocumentClass" -> Document.class;
                  case "withWriteConcern", "withReadConcern", "withReadPreference", "withTimeout" ->
                      proxy;
                  case "getWriteConcern" -> WriteConcern.ACKNOWLEDGED;
                  case "getReadConcern" -> ReadConcern.DEFAULT;
                  case "getReadPreference" -> ReadPreference.primary();
                  case "listIndexes" -> noIndexes;
                  case "createIndex" -> "index";
                  case "updateOne" -> {
                    writes.increment();
                    yield UpdateResult.acknowledged(1, 1L, null);
                  }
                  case "deleteOne" -> {
                    writes.increment();
                    yield DeleteResult.acknowledged(1);
                  }
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  case "toString" -> "no-I/O collection " + namespace;
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }
}
