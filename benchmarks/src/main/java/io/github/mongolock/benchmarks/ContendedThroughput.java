package io.github.mongolock.benchmarks;

import io.github.mongolock.benchmarks.Run.Variant;
import io.github.mongolock.benchmarks.Stats.Spread;
import io.github.mongolock.benchmarks.Workloads.Throughput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.bson.Document;

/** 4. Contended throughput: 8 writers on one lock, and a 90/10 read/write mix. */
final class ContendedThroughput extends Part {

  ContendedThroughput(Run run) {
    super(run);
  }

  @Override
  void measure() {
    progress("4. contended throughput");
    int window = settings.contendedWindowMs();
    record Contended(String name, int readPercent, IntFunction<Throughput> measure) {}
    List<Contended> variants = new ArrayList<>();
    for (int readPercent : List.of(0, 90)) {
      variants.add(
          new Contended(
              "mongo-lock-java",
              readPercent,
              ms ->
                  Workloads.measure(
                      8, workloads.oursContended(nextLock("contended"), readPercent), ms)));
      variants.add(
          new Contended(
              "mongo-lock-java, 2 JVMs × 4 threads",
              readPercent,
              ms -> twoJvmsContended(nextLock("contended"), readPercent, ms)));
      if (seed.available()) {
        for (int sleepTime : List.of(10, 1000)) {
          variants.add(
              new Contended(
                  "mongo-lock-node 2.0.0, sleepTime " + sleepTime + " ms",
                  readPercent,
                  ms -> {
                    Document reply =
                        seed.first()
                            .call(
                                new Document("op", "contended")
                                    .append("lock", nextLock("contended"))
                                    .append("workers", 8)
                                    .append("readPct", readPercent)
                                    .append("ms", ms)
                                    .append("sleepTime", sleepTime));
                    return new Throughput(
                        Agent.longOf(reply, "ops"),
                        Agent.longOf(reply, "ns") / 1e9,
                        Agent.longOf(reply, "minWorker"));
                  }));
        }
      }
    }
    Map<String, List<Double>> opsPerSecond = new LinkedHashMap<>();
    Map<String, List<Double>> fairness = new LinkedHashMap<>();
    List<Variant> asVariants = new ArrayList<>();
    for (Contended c : variants) {
      String key = c.name() + "|" + c.readPercent();
      fairness.put(key, new ArrayList<>());
      asVariants.add(
          new Variant(
              key,
              ms -> {
                Throughput t = c.measure().apply(ms);
                fairness
                    .get(key)
                    .add(t.totalOps() == 0 ? 0 : t.minThreadOps() / (t.totalOps() / 8.0));
                return t;
              }));
    }
    opsPerSecond.putAll(rounds(asVariants, settings.contendedRounds(), 1, window));
    fairness.values().forEach(list -> list.remove(0)); // the warm-up round's
    List<List<String>> rows = new ArrayList<>();
    for (Contended c : variants) {
      String key = c.name() + "|" + c.readPercent();
      boolean seedRow = c.name().startsWith("mongo-lock-node");
      List<Double> oneJvm = opsPerSecond.get("mongo-lock-java|" + c.readPercent());
      List<Double> twoJvms =
          opsPerSecond.get("mongo-lock-java, 2 JVMs × 4 threads|" + c.readPercent());
      List<Double> these = opsPerSecond.get(key);
      rows.add(
          List.of(
              c.readPercent() == 0 ? "8 writers" : "8 workers, 90% read / 10% write",
              c.name(),
              Spread.of(these).format(1),
              Spread.of(fairness.get(key)).format(2),
              seedRow ? Spread.of(Stats.ratios(oneJvm, these)).format(1) : "",
              seedRow ? Spread.of(Stats.ratios(twoJvms, these)).format(1) : ""));
    }
    for (Contended c : variants) {
      String key = c.name() + "|" + c.readPercent();
      summary.add(
          List.of(
              (c.readPercent() == 0 ? "8 writers" : "8 workers, 90/10 read/write")
                  + " on one lock, "
                  + c.name()
                  + ": lock+unlock/s",
              Spread.of(opsPerSecond.get(key)).format(0),
              ""));
    }
    report.heading(3, "4. Contended throughput");
    report.paragraph(
        "8 clients (threads with their own client ID; for the seed, async loops in one Node"
            + " process) on one lock, each repeating lock+unlock with nothing in between. Threads"
            + " of one JVM hand the lock over inside the JVM, so the \"2 JVMs × 4 threads\" rows (4"
            + " threads here, 4 in a second JVM, same window) are the ones where MongoDB arbitrates"
            + " between processes. "
            + settings.contendedRounds()
            + " rounds of "
            + window
            + " ms after a warm-up round.");
    report.table(
        List.of(
            "workload (one lock)",
            "library",
            "lock+unlock/s, median (min–max)",
            "slowest worker ÷ mean worker",
            "mongo-lock-java, one JVM ÷ this, same round",
            "mongo-lock-java, 2 JVMs ÷ this, same round"),
        rows);
  }

  /**
   * Four threads here and four in the second JVM on one lock: the threads of one JVM hand the lock
   * over locally, so this is the figure in which MongoDB arbitrates between processes.
   */
  private Throughput twoJvmsContended(String lockID, int readPercent, int ms) {
    javaAgent.send(
        new Document("op", "contended")
            .append("lock", lockID)
            .append("workers", 4)
            .append("readPct", readPercent)
            .append("ms", ms));
    Throughput here =
        Workloads.measure(
            4, Workloads.contended(workloads.locks(), lockID, "java-w", readPercent), ms);
    Document there = javaAgent.next(ms + 60_000L);
    return new Throughput(
        here.totalOps() + Agent.longOf(there, "ops"),
        Math.max(here.seconds(), Agent.longOf(there, "ns") / 1e9),
        Math.min(here.minThreadOps(), Agent.longOf(there, "minWorker")));
  }
}
