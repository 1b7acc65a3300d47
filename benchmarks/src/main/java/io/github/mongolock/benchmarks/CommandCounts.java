package io.github.mongolock.benchmarks;

import com.mongodb.client.MongoClient;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.benchmarks.Run.Recorded;
import io.github.mongolock.benchmarks.Workloads.Cycle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.bson.BsonDocument;
import org.bson.Document;

/**
 * 1. MongoDB commands per uncontended lock+unlock, counted by a command listener; also records the
 * commands of one cycle of ours for {@link UncontendedCycles} to replay through the raw driver.
 */
final class CommandCounts extends Part {

  CommandCounts(Run run) {
    super(run);
  }

  /** Counts the commands a client sends to the benchmark database. */
  private static final class CommandCounter implements CommandListener {
    final Map<String, LongAdder> byName = new ConcurrentHashMap<>();

    /** The commands sent since the last {@code clear()}: one cycle's, for the replay. */
    final List<BsonDocument> lastCycle = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void commandStarted(CommandStartedEvent event) {
      if (DATABASE.equals(event.getDatabaseName())) {
        byName.computeIfAbsent(event.getCommandName(), n -> new LongAdder()).increment();
        lastCycle.add(event.getCommand().clone());
      }
    }

    long total() {
      return byName.values().stream().mapToLong(LongAdder::sum).sum();
    }

    String names() {
      Map<String, Long> sorted = new TreeMap<>();
      byName.forEach((k, v) -> sorted.put(k, v.sum()));
      return sorted.toString();
    }
  }

  @Override
  void measure() {
    progress("1. commands per cycle");
    int n = settings.commandCycles();
    CommandCounter counter = new CommandCounter();
    List<List<String>> rows = new ArrayList<>();
    try (MongoClient counting = run.newWatchedClient(counter)) {
      Workloads counted = new Workloads(counting.getDatabase(DATABASE));
      Map<String, IntFunction<Cycle>> cycles = new LinkedHashMap<>();
      String writeLock = nextLock("cmd");
      String readLock = nextLock("cmd");
      cycles.put("mongo-lock-java write lock+unlock", counted.oursWrite(writeLock));
      cycles.put("mongo-lock-java read lock+unlock", counted.oursRead(readLock));
      cycles.put("raw driver upsert+delete (write-equivalent)", counted.rawWrite(nextLock("cmd")));
      cycles.put("ShedLock lock+unlock", counted.shedLock(nextLock("cmd")));
      for (Map.Entry<String, IntFunction<Cycle>> entry : cycles.entrySet()) {
        Cycle cycle = entry.getValue().apply(0);
        for (int i = 0; i < 5; i++) {
          cycle.run(); // first use may create indexes: not part of a cycle
        }
        counter.byName.clear();
        for (int i = 0; i < n; i++) {
          counter.lastCycle.clear();
          cycle.run();
        }
        double perCycle = counter.total() / (double) n;
        if (entry.getKey().startsWith("mongo-lock-java write")) {
          run.recordedWrite = new Recorded(List.copyOf(counter.lastCycle), writeLock + "-0");
        } else if (entry.getKey().startsWith("mongo-lock-java read")) {
          run.recordedRead = new Recorded(List.copyOf(counter.lastCycle), readLock + "-0");
        }
        boolean ours = entry.getKey().startsWith("mongo-lock-java");
        rows.add(
            List.of(
                entry.getKey(),
                fmt(perCycle, 2),
                counter.names() + " over " + n + " cycles",
                ours ? verdict(perCycle <= 2, "goal 2") : ""));
        if (ours) {
          summary.add(
              List.of(
                  "MongoDB commands per uncontended " + entry.getKey().substring(16),
                  fmt(perCycle, 2),
                  verdict(perCycle <= 2, "goal 2")));
        }
      }
    }
    for (String mode : List.of("write", "read")) {
      if (seed.available()) {
        Document reply =
            seed.first()
                .call(
                    new Document("op", "commands")
                        .append("lock", nextLock("cmd"))
                        .append("mode", mode)
                        .append("n", n)
                        .append("sleepTime", 1000));
        rows.add(
            List.of(
                "mongo-lock-node 2.0.0 " + mode + " lock+unlock",
                fmt(((Number) reply.get("perCycle")).doubleValue(), 2),
                "Node driver command monitoring, " + n + " cycles",
                ""));
      } else {
        rows.add(
            List.of("mongo-lock-node 2.0.0 " + mode + " lock+unlock", "n/a", seed.describe(), ""));
      }
    }
    report.heading(3, "1. MongoDB commands per uncontended lock+unlock");
    report.table(List.of("cycle", "commands per cycle", "commands seen", "goal"), rows);
  }
}
