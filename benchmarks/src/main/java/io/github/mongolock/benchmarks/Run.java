package io.github.mongolock.benchmarks;

import com.mongodb.client.MongoClient;
import com.mongodb.event.CommandFailedEvent;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import io.github.mongolock.benchmarks.Workloads.Throughput;
import io.github.mongolock.testkit.TestMongo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.bson.BsonDocument;

/** What the parts of one run share: the server, the other processes, the report, and the rounds. */
final class Run {

  static final String DATABASE = "mongolock_bench";

  /** Something measured for a given window: operations done and the seconds they took. */
  record Variant(String name, IntFunction<Throughput> measure) {}

  /** The commands one uncontended cycle of ours sent, and the lock ID they name. */
  record Recorded(List<BsonDocument> commands, String lockID) {}

  final Settings settings;
  final TestMongo mongo;
  final MongoClient client;
  final Workloads workloads;
  final Seed seed;
  final Agent javaAgent;
  final Report report = new Report();

  /**
   * Errors the server returned to the watched clients of this JVM ({@link #newWatchedClient}): the
   * clients of the command counts, the renewal traffic and the final protocol check, not the client
   * that parts 2 to 4 time.
   */
  final ServerErrors errors = new ServerErrors();

  /** Headline figures for the README's performance section: measure, figure, goal. */
  final List<List<String>> summary = new ArrayList<>();

  /** How long the whole run took, set when it ends. */
  double wholeRunSeconds;

  Recorded recordedWrite;
  Recorded recordedRead;

  private final AtomicLong lockNumber = new AtomicLong();

  Run(Settings settings, TestMongo mongo, MongoClient client, Seed seed, Agent javaAgent) {
    this.settings = settings;
    this.mongo = mongo;
    this.client = client;
    this.workloads = new Workloads(client.getDatabase(DATABASE));
    this.seed = seed;
    this.javaAgent = javaAgent;
  }

  /** A lock ID no earlier measurement used. */
  String nextLock(String prefix) {
    return prefix + "-" + lockNumber.incrementAndGet();
  }

  String serverKind() {
    return mongo.kind().name().toLowerCase(Locale.ROOT);
  }

  /** The server as the report's headings name it. */
  String serverLabel() {
    return mongo.isStrict() ? "strict embedded mongo-java-server" : serverKind();
  }

  /**
   * A new client whose server errors {@link #errors} tallies, and which also reports every command
   * to {@code also} (may be null); the caller closes it.
   */
  MongoClient newWatchedClient(CommandListener also) {
    return mongo.newClient(also == null ? errors : both(errors, also));
  }

  private static CommandListener both(CommandListener a, CommandListener b) {
    return new CommandListener() {
      @Override
      public void commandStarted(CommandStartedEvent event) {
        a.commandStarted(event);
        b.commandStarted(event);
      }

      @Override
      public void commandSucceeded(CommandSucceededEvent event) {
        a.commandSucceeded(event);
        b.commandSucceeded(event);
      }

      @Override
      public void commandFailed(CommandFailedEvent event) {
        a.commandFailed(event);
        b.commandFailed(event);
      }
    };
  }

  /**
   * One unrecorded warm-up pass, then {@code rounds} rounds. A round gives every variant {@code
   * slices} windows of {@code sliceMs}, the variants taking turns window by window in an order that
   * rotates (and reverses every other turn) so that no variant always follows the same one. A
   * round's figure for a variant is its operations over its measured seconds in that round.
   */
  Map<String, List<Double>> rounds(List<Variant> variants, int rounds, int slices, int sliceMs) {
    Map<String, List<Double>> results = new LinkedHashMap<>();
    variants.forEach(v -> results.put(v.name(), new ArrayList<>()));
    for (Variant v : variants) {
      v.measure().apply(sliceMs);
    }
    int turn = 0;
    for (int round = 0; round < rounds; round++) {
      Map<String, double[]> opsAndSeconds = new LinkedHashMap<>();
      variants.forEach(v -> opsAndSeconds.put(v.name(), new double[2]));
      for (int slice = 0; slice < slices; slice++) {
        for (Variant v : rotate(variants, turn++)) {
          Throughput t = v.measure().apply(sliceMs);
          double[] acc = opsAndSeconds.get(v.name());
          acc[0] += t.totalOps();
          acc[1] += t.seconds();
        }
      }
      opsAndSeconds.forEach((name, acc) -> results.get(name).add(acc[0] / acc[1]));
      progress("   round " + (round + 1) + "/" + rounds + " done");
    }
    return results;
  }

  static <T> List<T> rotate(List<T> items, int round) {
    List<T> order = new ArrayList<>(items);
    Collections.rotate(order, -round);
    if (round % 2 == 1) {
      Collections.reverse(order);
    }
    return order;
  }

  static void progress(String message) {
    System.out.println("[bench] " + message);
  }

  static String verdict(boolean met, String goal) {
    return (met ? "met (" : "NOT met (") + goal + ")";
  }

  static String fmt(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }
}
