package io.github.mongolock.benchmarks;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.benchmarks.Stats.Spread;
import io.github.mongolock.benchmarks.Workloads.Cycle;
import io.github.mongolock.benchmarks.Workloads.Throughput;
import io.github.mongolock.benchmarks.jmh.PerCallBenchmark;
import io.github.mongolock.testkit.TestMongo;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.bson.BsonDocument;
import org.bson.Document;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every benchmark of the issue once, against the server {@link TestMongo} picks (the embedded
 * one unless {@code MONGODB_URI} is set), prints a Markdown report and writes it, with a chart of
 * hand-off latency, to {@code results/}. Competing variants are measured in the same round, one
 * after the other, in an order that rotates from round to round; ratios are taken within a round
 * and reported as median (min–max) over the rounds.
 *
 * <p>Run it with {@code mvn -B -q -pl benchmarks -am verify -Pbench -DskipTests}.
 */
public final class BenchMain {

  static final String DATABASE = "mongolock_bench";
  private static final int SLICE_MS = 100;
  private static final String COMMAND = "mvn -B -q -pl benchmarks -am verify -Pbench -DskipTests";

  private final Settings settings;
  private final TestMongo mongo;
  private final MongoClient client;
  private final Workloads workloads;
  private final Report report = new Report();

  /** Headline figures for the README's performance section: measure, figure, goal. */
  private final List<List<String>> summary = new ArrayList<>();

  private final AtomicLong lockNumber = new AtomicLong();
  private Seed seed;

  /** The two commands of one uncontended cycle of ours, as sent, for the raw driver to replay. */
  private Recorded recordedWrite;

  private Recorded recordedRead;
  private Agent javaAgent;

  private BenchMain(Settings settings, TestMongo mongo, MongoClient client) {
    this.settings = settings;
    this.mongo = mongo;
    this.client = client;
    MongoDatabase database = client.getDatabase(DATABASE);
    database.drop();
    this.workloads = new Workloads(database);
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    // The embedded server logs every client that disconnects abruptly, as agents do when they exit.
    System.setProperty(
        "org.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire.MongoExceptionHandler", "off");
    Settings settings = Settings.fromSystemProperties();
    long started = System.nanoTime();
    TestMongo mongo = TestMongo.get();
    int status = 0;
    try (MongoClient client = mongo.newClient()) {
      BenchMain bench = new BenchMain(settings, mongo, client);
      try {
        bench.run();
      } finally {
        bench.stopAgents();
        client.getDatabase(DATABASE).drop();
      }
      String elapsed = String.format(Locale.ROOT, "%.0f s", (System.nanoTime() - started) / 1e9);
      bench.report.paragraph("Whole run: " + elapsed + ".");
      bench.write();
    } catch (Exception e) {
      e.printStackTrace();
      status = 1;
    }
    // The embedded server's threads are not daemons.
    System.exit(status);
  }

  private void run() throws Exception {
    progress("server: " + mongo.description());
    seed = Seed.start(Path.of(System.getProperty("bench.nodeDir", "node")), mongo.uri(), DATABASE);
    javaAgent = startJavaAgent();

    report.heading(2, "mongo-lock-java benchmarks (" + serverKind() + ")");
    report.paragraph(
        "Produced by `"
            + COMMAND
            + "`"
            + (mongo.isEmbedded() ? "" : " with `MONGODB_URI` set")
            + ". Every figure below was measured in this run.");
    report.table(List.of("", ""), Environment.describe(mongo, client, settings, seed.describe()));

    commandsPerCycle(); // always: the cycles benchmark replays the commands it records
    if (settings.runs("jmh")) {
      perCallJmh();
    }
    if (settings.runs("cycles")) {
      uncontendedCycles();
    }
    if (settings.runs("handoff")) {
      handoff();
    }
    if (settings.runs("contended")) {
      contended();
    }
    renewal();
    if (settings.runs("aspect")) {
      aspect();
    }
  }

  // ---------------------------------------------------------------- 1. commands per cycle

  /** Counts the commands a client sends to the benchmark database. */
  private static final class CommandCounter implements CommandListener {
    final Map<String, LongAdder> byName = new ConcurrentHashMap<>();
    final List<BsonDocument> recent = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void commandStarted(CommandStartedEvent event) {
      if (DATABASE.equals(event.getDatabaseName())) {
        byName.computeIfAbsent(event.getCommandName(), n -> new LongAdder()).increment();
        recent.add(event.getCommand().clone());
        if (recent.size() > 2) {
          recent.remove(0);
        }
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

  private void commandsPerCycle() {
    progress("1. commands per cycle");
    int n = settings.commandCycles();
    CommandCounter counter = new CommandCounter();
    List<List<String>> rows = new ArrayList<>();
    try (MongoClient counting = mongo.newClient(counter)) {
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
          cycle.run();
        }
        double perCycle = counter.total() / (double) n;
        if (entry.getKey().startsWith("mongo-lock-java write")) {
          recordedWrite = new Recorded(List.copyOf(counter.recent), writeLock + "-0");
        } else if (entry.getKey().startsWith("mongo-lock-java read")) {
          recordedRead = new Recorded(List.copyOf(counter.recent), readLock + "-0");
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

  // ---------------------------------------------------------------- per-call cost (JMH)

  private void perCallJmh() throws RunnerException {
    progress("JMH: time per call");
    List<String> methods = List.of("oursWriteLockUnlock", "oursReadLockUnlock", "rawUpsertDelete");
    Map<String, List<Double>> micros = new LinkedHashMap<>();
    methods.forEach(m -> micros.put(m, new ArrayList<>()));
    for (int round = 0; round < settings.jmhRounds(); round++) {
      for (String method : rotate(methods, round)) {
        Options options =
            new OptionsBuilder()
                .include(PerCallBenchmark.class.getName() + "\\." + method + "$")
                .forks(1)
                .warmupIterations(settings.quick() ? 1 : 3)
                .warmupTime(TimeValue.milliseconds(400))
                .measurementIterations(settings.quick() ? 2 : 4)
                .measurementTime(TimeValue.milliseconds(400))
                .jvmArgsAppend("-Dbench.uri=" + mongo.uri(), "-Dbench.db=" + DATABASE, "-Xmx512m")
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        RunResult result = new Runner(options).runSingle();
        micros.get(method).add(result.getPrimaryResult().getScore());
      }
    }
    List<Double> raw = micros.get("rawUpsertDelete");
    List<List<String>> rows = new ArrayList<>();
    rows.add(
        List.of(
            "mongo-lock-java write lock+unlock",
            Spread.of(micros.get("oursWriteLockUnlock")).format(1),
            Spread.of(Stats.ratios(micros.get("oursWriteLockUnlock"), raw)).format(2)));
    rows.add(
        List.of(
            "mongo-lock-java read lock+unlock",
            Spread.of(micros.get("oursReadLockUnlock")).format(1),
            Spread.of(Stats.ratios(micros.get("oursReadLockUnlock"), raw)).format(2)));
    rows.add(List.of("raw driver upsert+delete", Spread.of(raw).format(1), "1"));
    summary.add(
        List.of(
            "Time per uncontended write lock+unlock ÷ raw driver's upsert+delete, one thread (JMH),"
                + " median (min–max) of "
                + raw.size()
                + " rounds",
            Spread.of(Stats.ratios(micros.get("oursWriteLockUnlock"), raw)).format(2),
            ""));
    report.heading(3, "Time per uncontended call, one thread (JMH)");
    report.paragraph(
        "JMH average time, 1 fork per benchmark and round, "
            + settings.jmhRounds()
            + " rounds in rotating order; the ratio divides by the raw driver's time of the same"
            + " round.");
    report.table(
        List.of("call", "µs per lock+unlock, median (min–max)", "÷ raw driver time"), rows);
  }

  // ---------------------------------------------------------------- 2. uncontended cycles/s

  record Recorded(List<BsonDocument> commands, String lockID) {}

  /** Something measured for a given window: operations done and the seconds they took. */
  private record Variant(String name, IntFunction<Throughput> measure) {}

  private void uncontendedCycles() {
    progress("2. uncontended cycles/s");
    int window = settings.cycleWindowMs();
    List<Variant> variants = new ArrayList<>();
    for (int threads : List.of(1, 8)) {
      variants.add(java("ours-write-" + threads, threads, workloads::oursWrite));
      variants.add(java("raw-write-" + threads, threads, workloads::rawWrite));
      variants.add(java("ours-read-" + threads, threads, workloads::oursRead));
      variants.add(java("raw-read-" + threads, threads, workloads::rawRead));
      variants.add(
          java(
              "replay-write-" + threads,
              threads,
              prefix ->
                  workloads.replay(recordedWrite.commands(), recordedWrite.lockID(), prefix)));
      variants.add(
          java(
              "replay-read-" + threads,
              threads,
              prefix -> workloads.replay(recordedRead.commands(), recordedRead.lockID(), prefix)));
      variants.add(java("shedlock-" + threads, threads, workloads::shedLock));
      if (seed.available()) {
        variants.add(
            new Variant(
                "seed-write-" + threads,
                ms -> {
                  Document reply =
                      seed.first()
                          .call(
                              new Document("op", "cycles")
                                  .append("lock", nextLock("seed"))
                                  .append("mode", "write")
                                  .append("threads", threads)
                                  .append("ms", ms)
                                  .append("sleepTime", 1000));
                  return new Throughput(
                      Agent.longOf(reply, "ops"), Agent.longOf(reply, "ns") / 1e9, 0);
                }));
      }
    }
    int slices = Math.max(1, window / SLICE_MS);
    Map<String, List<Double>> results =
        rounds(variants, settings.rounds(), slices, window / slices);

    List<List<String>> rows = new ArrayList<>();
    for (int threads : List.of(1, 8)) {
      List<Double> rawWrite = results.get("raw-write-" + threads);
      List<Double> rawRead = results.get("raw-read-" + threads);
      List<Double> replayWrite = results.get("replay-write-" + threads);
      List<Double> replayRead = results.get("replay-read-" + threads);
      rows.add(
          cycleRow(
              "mongo-lock-java write",
              threads,
              results.get("ours-write-" + threads),
              rawWrite,
              replayWrite,
              true));
      rows.add(cycleRow("raw driver, write-equivalent", threads, rawWrite, rawWrite, null, false));
      rows.add(
          cycleRow(
              "raw driver replaying our write cycle's 2 commands",
              threads,
              replayWrite,
              rawWrite,
              null,
              false));
      rows.add(
          cycleRow(
              "mongo-lock-java read",
              threads,
              results.get("ours-read-" + threads),
              rawRead,
              replayRead,
              true));
      rows.add(cycleRow("raw driver, read-equivalent", threads, rawRead, rawRead, null, false));
      rows.add(
          cycleRow(
              "raw driver replaying our read cycle's 2 commands",
              threads,
              replayRead,
              rawRead,
              null,
              false));
      rows.add(
          cycleRow(
              "ShedLock (exclusive)",
              threads,
              results.get("shedlock-" + threads),
              rawWrite,
              null,
              false));
      if (seed.available()) {
        rows.add(
            cycleRow(
                "mongo-lock-node 2.0.0 write (Node, " + threads + " async loops)",
                threads,
                results.get("seed-write-" + threads),
                rawWrite,
                null,
                false));
      }
    }
    for (String mode : List.of("write", "read")) {
      for (int threads : List.of(1, 8)) {
        Spread ratio =
            Spread.of(
                Stats.ratios(
                    results.get("ours-" + mode + "-" + threads),
                    results.get("raw-" + mode + "-" + threads)));
        summary.add(
            List.of(
                "Uncontended "
                    + mode
                    + " lock+unlock cycles/s ÷ raw driver, "
                    + threads
                    + (threads == 1 ? " thread" : " threads")
                    + ", median (min–max) of "
                    + ratio.n()
                    + " rounds",
                ratio.format(2),
                verdict(ratio.median() >= 0.9, "goal ≥ 0.9")));
      }
    }
    report.heading(3, "2. Uncontended lock+unlock cycles per second");
    report.paragraph(
        "Each thread on its own lock. "
            + settings.rounds()
            + " rounds after one unrecorded"
            + " warm-up round; in each round every variant runs "
            + slices
            + " slices of "
            + window / slices
            + " ms, the variants taking turns slice by slice, so that the machine's noise falls on"
            + " all of them alike; a round's figure is its cycles over its measured time. The raw"
            + " driver runs the same number of single-document commands (upsert `updateOne` +"
            + " `deleteOne`) on the same server. The replay rows send, through the raw driver's"
            + " `runCommand`, the exact two commands one cycle of ours sent (captured by a command"
            + " listener, lock ID replaced): what the lock's filters cost the server, without the"
            + " library's client-side work. The seed's `sleepTime` is not reached when"
            + " uncontended.");
    report.table(
        List.of(
            "cycle",
            "threads",
            "cycles/s, median (min–max)",
            "÷ raw driver, same round",
            "÷ replay of its own commands, same round",
            "goal"),
        rows);
  }

  private Variant java(
      String name, int threads, java.util.function.Function<String, IntFunction<Cycle>> workload) {
    return new Variant(name, ms -> Workloads.measure(threads, workload.apply(nextLock(name)), ms));
  }

  private List<String> cycleRow(
      String name,
      int threads,
      List<Double> values,
      List<Double> raw,
      List<Double> replay,
      boolean goal) {
    Spread ratio = Spread.of(Stats.ratios(values, raw));
    return List.of(
        name,
        String.valueOf(threads),
        Spread.of(values).format(0),
        ratio.format(2),
        replay == null ? "" : Spread.of(Stats.ratios(values, replay)).format(2),
        goal ? verdict(ratio.median() >= 0.9, "goal ≥ 0.9") : "");
  }

  // ---------------------------------------------------------------- 3. hand-off latency

  private void handoff() throws Exception {
    progress("3. hand-off latency");
    List<Handoff.Variant> variants = new ArrayList<>();
    variants.add(Handoff.oursSameJvm(workloads.locks()));
    variants.add(Handoff.oursOtherJvm(workloads.locks(), javaAgent));
    if (seed.available()) {
      for (int sleepTime : List.of(10, 1000)) {
        variants.add(Handoff.seedSameProcess(seed.first(), sleepTime));
        variants.add(Handoff.seedOtherProcess(seed.first(), seed.second(), sleepTime));
      }
    }
    Map<String, List<Double>> samples = new LinkedHashMap<>();
    Map<String, List<Double>> roundP50 = new LinkedHashMap<>();
    for (Handoff.Variant v : variants) {
      samples.put(v.name(), new ArrayList<>());
      roundP50.put(v.name(), new ArrayList<>());
      for (int i = 0; i < 2 && v.maxHoldMs() < 1000; i++) {
        v.sampleMs(nextLock("warm"), v.minHoldMs()); // warm-up, not recorded
      }
    }
    // Variants take turns sample by sample; the slow seed variants take their fewer samples spread
    // evenly over the round.
    int turns = settings.handoffSamples();
    int turn = 0;
    for (int round = 0; round < settings.handoffRounds(); round++) {
      Map<String, List<Double>> these = new LinkedHashMap<>();
      variants.forEach(v -> these.put(v.name(), new ArrayList<>()));
      for (int i = 0; i < turns; i++) {
        for (Handoff.Variant v : rotate(variants, turn++)) {
          int n = v.maxHoldMs() >= 1000 ? settings.slowHandoffSamples() : turns;
          if ((long) (i + 1) * n / turns > (long) i * n / turns) {
            long hold = ThreadLocalRandom.current().nextLong(v.minHoldMs(), v.maxHoldMs() + 1);
            these.get(v.name()).add(v.sampleMs(nextLock("handoff"), hold));
          }
        }
      }
      for (Handoff.Variant v : variants) {
        samples.get(v.name()).addAll(these.get(v.name()));
        roundP50.get(v.name()).add(Stats.percentile(these.get(v.name()), 50));
      }
      progress("   round " + (round + 1) + "/" + settings.handoffRounds() + " done");
    }

    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < variants.size(); i++) {
      Handoff.Variant v = variants.get(i);
      List<Double> all = samples.get(v.name());
      double p50 = Stats.percentile(all, 50);
      String ratio = "";
      String goal = "";
      if (i < 2) {
        double target = i == 0 ? 2 : 20;
        String what = "goal ~" + fmt(target, 0) + " ms at p50";
        goal =
            p50 > target && p50 <= 1.25 * target
                ? "about (" + what + ", within 25%)"
                : verdict(p50 <= target, what);
      } else {
        // the same placement of ours: same process for even rows, other process for odd rows
        ratio =
            Spread.of(
                    Stats.ratios(roundP50.get(v.name()), roundP50.get(variants.get(i % 2).name())))
                .format(1);
      }
      rows.add(
          List.of(
              v.name(),
              String.valueOf(all.size()),
              "uniform " + v.minHoldMs() + "–" + v.maxHoldMs(),
              fmt(p50, 1),
              fmt(Stats.percentile(all, 99), 1),
              Spread.of(roundP50.get(v.name())).format(1),
              ratio,
              goal));
      if (!v.name().endsWith("same process")) {
        summary.add(
            List.of(
                "Hand-off latency p50 / p99, " + v.name() + " (n=" + all.size() + ")",
                fmt(p50, 1) + " / " + fmt(Stats.percentile(all, 99), 1) + " ms",
                goal));
      }
    }
    String chart = "handoff-" + serverKind() + ".png";
    Files.createDirectories(settings.out());
    Chart.handoffCdf(
        samples,
        "server: "
            + mongo.description()
            + "; solid: waiter in the same process,"
            + " dashed: in another process",
        settings.out().resolve(chart));
    report.heading(3, "3. Hand-off latency (holder's release returns → waiter's acquire returns)");
    report.paragraph(
        "The waiter starts waiting right after the holder acquires; the holder keeps the lock for a"
            + " random time (so every phase of the waiter's polling is sampled), then releases. The"
            + " variants take turns sample by sample, "
            + settings.handoffRounds()
            + " rounds after unrecorded warm-up samples. Across processes both ends read the same"
            + " monotonic clock (checked at start-up). mongo-lock-java at default options; other"
            + " process = a second JVM started with this class path; the seed's other process = a"
            + " second Node process. p99 of a few dozen samples is close to their maximum.");
    report.table(
        List.of(
            "waiter",
            "samples",
            "hold ms",
            "p50 ms",
            "p99 ms",
            "per-round p50, median (min–max)",
            "p50 ÷ ours, same placement, same round",
            "goal"),
        rows);
    report.paragraph("![hand-off latency CDF](" + chart + ")");
  }

  // ---------------------------------------------------------------- 4. contended throughput

  private void contended() {
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

  // ---------------------------------------------------------------- 5. renewal, 6. aspect

  private void renewal() {
    report.heading(3, "5. Renewal traffic while holding 10,000 locks");
    report.paragraph(
        "n/a: no leases yet (the core has no lease or heartbeat API, so nothing is renewed).");
    summary.add(
        List.of("Renewal commands per interval, 10,000 locks held", "n/a: no leases yet", ""));
  }

  private void aspect() {
    report.heading(3, "6. Aspect overhead per call");
    report.paragraph("n/a: the aspect module was not on `main` when this harness was written.");
    summary.add(List.of("Aspect overhead per call", "n/a: aspect not on main yet", "goal ≤ 2 µs"));
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * One unrecorded warm-up pass, then {@code rounds} rounds. A round gives every variant {@code
   * slices} windows of {@code sliceMs}, the variants taking turns window by window in an order that
   * rotates (and reverses every other turn) so that no variant always follows the same one. A
   * round's figure for a variant is its operations over its measured seconds in that round.
   */
  private Map<String, List<Double>> rounds(
      List<Variant> variants, int rounds, int slices, int sliceMs) {
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

  private static <T> List<T> rotate(List<T> items, int round) {
    List<T> order = new ArrayList<>(items);
    Collections.rotate(order, -round);
    if (round % 2 == 1) {
      Collections.reverse(order);
    }
    return order;
  }

  private String nextLock(String prefix) {
    return prefix + "-" + lockNumber.incrementAndGet();
  }

  private Agent startJavaAgent() throws IOException {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Agent agent =
        Agent.start(
            "second JVM",
            List.of(
                javaBin,
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                JavaAgentMain.class.getName()),
            new File("."));
    agent.call(
        new Document("op", "init")
            .append("uri", mongo.uri())
            .append("db", DATABASE)
            .append("coll", "locks"));
    agent.checkSharedClock();
    return agent;
  }

  private void stopAgents() {
    if (javaAgent != null) {
      javaAgent.close();
    }
    if (seed != null) {
      seed.close();
    }
  }

  private String serverKind() {
    return mongo.kind().name().toLowerCase(Locale.ROOT);
  }

  private void write() throws IOException {
    Files.createDirectories(settings.out());
    Path file = settings.out().resolve(serverKind() + ".md");
    Files.writeString(file, report.toString(), StandardCharsets.UTF_8);
    System.out.println();
    System.out.println(report);
    System.out.println(
        "[bench] written " + file.toAbsolutePath().normalize() + " and the chart beside it");
    if (mongo.isEmbedded() && Path.of("results").equals(settings.out())) {
      Path section = Path.of("README-section.md");
      Files.writeString(section, readmeSection(), StandardCharsets.UTF_8);
      System.out.println("[bench] written " + section.toAbsolutePath().normalize());
    }
  }

  /** The README's performance section, written by the run whose figures it quotes. */
  private String readmeSection() {
    Report section = new Report();
    section.heading(2, "Performance");
    section.paragraph(
        "Measured by the `benchmarks` module (not published), which runs in about four minutes:");
    section.paragraph("```\n" + COMMAND + "\n```");
    section.paragraph(
        "It uses the embedded mongo-java-server unless `MONGODB_URI` is set, measures"
            + " mongo-lock-java against the raw driver, ShedLock's Mongo provider and the seed"
            + " mongo-lock-node@2.0.0 (under Node) on the same server in the same run, takes turns"
            + " between the variants it compares and reports ratios of figures from the same round"
            + " as median (min–max) over the rounds. It writes the full report, with the machine,"
            + " JDK, server and settings, to"
            + " [`benchmarks/results/embedded.md`](benchmarks/results/embedded.md) and the hand-off"
            + " latency distributions to"
            + " [`benchmarks/results/handoff-embedded.png`](benchmarks/results/handoff-embedded.png).");
    section.paragraph(
        "Headline figures of the committed run ("
            + java.time.LocalDate.now(java.time.ZoneOffset.UTC)
            + ", embedded server in the same JVM as the clients, on a shared 2-core machine; the"
            + " embedded server is much slower than MongoDB, so absolute rates say little, ratios"
            + " and command counts more):");
    section.table(List.of("measure", "figure", "goal"), summary);
    section.paragraph("![hand-off latency](benchmarks/results/handoff-embedded.png)");
    return section.toString();
  }

  private static void progress(String message) {
    System.out.println("[bench] " + message);
  }

  private static String verdict(boolean met, String goal) {
    return (met ? "met (" : "NOT met (") + goal + ")";
  }

  static String fmt(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  static void sleep(long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
