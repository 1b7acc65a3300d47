package io.github.mongolock.benchmarks;

import com.mongodb.client.MongoClient;
import io.github.mongolock.testkit.TestMongo;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.bson.Document;

/**
 * Runs every benchmark of the issue once, against the server {@link TestMongo} picks (the embedded
 * one unless {@code MONGODB_URI} is set), prints a Markdown report and writes it, with a chart of
 * hand-off latency, to {@code results/}. Competing variants are measured in the same round, taking
 * turns in an order that rotates; ratios are taken within a round and reported as median (min–max)
 * over the rounds. Every figure is measured by this run; what cannot be measured is reported n/a.
 *
 * <p>Run it with {@code mvn -B -q -pl benchmarks -am verify -Pbench -DskipTests}.
 */
public final class BenchMain {

  static final String COMMAND = "mvn -B -q -pl benchmarks -am verify -Pbench -DskipTests";

  private BenchMain() {}

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    // The embedded server logs every client that disconnects abruptly, as agents do when they exit.
    System.setProperty(
        "org.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire.MongoExceptionHandler", "off");
    Settings settings = Settings.fromSystemProperties();
    long started = System.nanoTime();
    TestMongo mongo = TestMongo.get();
    int status = 0;
    Seed seed = null;
    Agent javaAgent = null;
    try (MongoClient client = mongo.newClient()) {
      client.getDatabase(Run.DATABASE).drop();
      try {
        Run.progress("server: " + mongo.description());
        seed =
            Seed.start(
                Path.of(System.getProperty("bench.nodeDir", "node")), mongo.uri(), Run.DATABASE);
        javaAgent = startJavaAgent(mongo);
        Run run = new Run(settings, mongo, client, seed, javaAgent);
        measure(run);
        run.wholeRunSeconds = (System.nanoTime() - started) / 1e9;
        run.report.paragraph(String.format(Locale.ROOT, "Whole run: %.0f s.", run.wholeRunSeconds));
        write(run);
      } finally {
        if (javaAgent != null) {
          javaAgent.close();
        }
        if (seed != null) {
          seed.close();
        }
        client.getDatabase(Run.DATABASE).drop();
      }
    } catch (Exception e) {
      e.printStackTrace();
      status = 1;
    }
    // The embedded server's threads are not daemons.
    System.exit(status);
  }

  private static void measure(Run run) throws Exception {
    Report report = run.report;
    report.heading(2, "mongo-lock-java benchmarks (" + run.serverLabel() + ")");
    report.paragraph(
        "Produced by `"
            + COMMAND
            + "`"
            + (run.mongo.isEmbedded() ? "" : " with `MONGODB_URI` set")
            + ". Every figure below was measured in this run.");
    report.table(
        List.of("", ""),
        Environment.describe(run.mongo, run.client, run.settings, run.seed.describe()));

    new CommandCounts(run).measure(); // always: the cycles part replays the commands it records
    Settings settings = run.settings;
    if (settings.runs("jmh")) {
      new PerCallCost(run).measure();
    }
    if (settings.runs("cycles")) {
      new UncontendedCycles(run).measure();
    }
    if (settings.runs("handoff")) {
      new HandoffLatency(run).measure();
    }
    if (settings.runs("contended")) {
      new ContendedThroughput(run).measure();
    }
    if (settings.runs("renewal")) {
      new RenewalTraffic(run).measure();
    }
    if (settings.runs("aspect")) {
      new AspectOverhead(run).measure();
    }
    new ProtocolCheck(run).measure(); // always: what the server refused, if anything
  }

  private static Agent startJavaAgent(TestMongo mongo) throws IOException {
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
            .append("db", Run.DATABASE)
            .append("coll", "locks"));
    agent.checkSharedClock();
    return agent;
  }

  private static void write(Run run) throws IOException {
    Files.createDirectories(run.settings.out());
    Path file = run.settings.out().resolve(run.serverKind() + ".md");
    Files.writeString(file, run.report.toString(), StandardCharsets.UTF_8);
    System.out.println();
    System.out.println(run.report);
    System.out.println(
        "[bench] written " + file.toAbsolutePath().normalize() + " and the chart beside it");
    if (run.mongo.isEmbedded() && Path.of("results").equals(run.settings.out())) {
      Path section = Path.of("README-section.md");
      Files.writeString(section, readmeSection(run), StandardCharsets.UTF_8);
      System.out.println("[bench] written " + section.toAbsolutePath().normalize());
    }
  }

  /** The README's performance section, written by the run whose figures it quotes. */
  private static String readmeSection(Run run) {
    Report section = new Report();
    section.heading(2, "Performance");
    section.paragraph(
        String.format(
            Locale.ROOT,
            "Measured by the `benchmarks` module (not published), whose committed run took %.0f s:",
            run.wholeRunSeconds));
    section.paragraph("```\n" + COMMAND + "\n```");
    section.paragraph(
        "It uses the strict embedded mongo-java-server of the testkit (which refuses what a"
            + " standalone mongod refuses) unless `MONGODB_URI` is set or a Docker engine answers,"
            + " measures"
            + " mongo-lock-java against the raw driver, ShedLock's Mongo provider and the seed"
            + " mongo-lock-node@2.0.0 (under Node), and its own calls with a"
            + " `MicrometerLockListener` against the same calls without a listener, on the same"
            + " server in the same run, takes turns"
            + " between the variants it compares and reports ratios of figures from the same round"
            + " as median (min–max) over the rounds. It writes the full report, with the machine,"
            + " JDK, server and settings, to"
            + " [`benchmarks/results/embedded.md`](benchmarks/results/embedded.md) and the hand-off"
            + " latency distributions to"
            + " [`benchmarks/results/handoff-embedded.png`](benchmarks/results/handoff-embedded.png).");
    section.paragraph(
        "Headline figures of the committed run ("
            + java.time.LocalDate.now(java.time.ZoneOffset.UTC)
            + "; the embedded server runs in the harness JVM and shares a busy 2-core machine"
            + " with the clients, so absolute rates say little about a real deployment, and"
            + " ratios come with their spread over rounds):");
    section.table(List.of("measure", "figure", "goal"), run.summary);
    section.paragraph("![hand-off latency](benchmarks/results/handoff-embedded.png)");
    return section.toString();
  }
}
