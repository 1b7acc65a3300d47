package io.github.mongolock.benchmarks;

import com.mongodb.client.MongoClient;
import io.github.mongolock.testkit.TestMongo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

/** What the figures were measured on, recorded beside them. */
final class Environment {

  private Environment() {}

  static List<List<String>> describe(
      TestMongo mongo, MongoClient client, Settings settings, String seed) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()));
    rows.add(List.of("commit", gitCommit()));
    rows.add(List.of("machine", machine()));
    rows.add(
        List.of(
            "load average at start",
            String.format(
                Locale.ROOT,
                "%.2f",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage())));
    rows.add(
        List.of(
            "JDK",
            System.getProperty("java.vm.name")
                + " "
                + System.getProperty("java.runtime.version")
                + ", args "
                + ManagementFactory.getRuntimeMXBean().getInputArguments()));
    String version =
        client.getDatabase("admin").runCommand(new Document("buildInfo", 1)).get("version", "?");
    rows.add(
        List.of(
            "server",
            mongo.description()
                + ", reports version "
                + version
                + (mongo.isEmbedded()
                    ? " (in the harness JVM: it shares the 2 cores with the clients)"
                    : "")));
    rows.add(
        List.of(
            "Java driver",
            "mongodb-driver-sync " + jarVersion(com.mongodb.client.MongoClient.class)));
    rows.add(
        List.of(
            "ShedLock",
            "shedlock-provider-mongo "
                + jarVersion(net.javacrumbs.shedlock.provider.mongo.MongoLockProvider.class)));
    rows.add(List.of("seed", seed));
    rows.add(List.of("settings", settings.describe()));
    return rows;
  }

  private static String machine() {
    String cpu = "?";
    long memKb = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          memKb = Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (IOException | RuntimeException notLinux) {
      // keep what we have
    }
    return String.format(
        Locale.ROOT,
        "%s %s %s, %d CPUs (%s), %.1f GiB RAM",
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        System.getProperty("os.arch"),
        Runtime.getRuntime().availableProcessors(),
        cpu,
        memKb / 1024.0 / 1024.0);
  }

  static String jarVersion(Class<?> type) {
    Package p = type.getPackage();
    if (p != null && p.getImplementationVersion() != null) {
      return p.getImplementationVersion();
    }
    String location = String.valueOf(type.getProtectionDomain().getCodeSource().getLocation());
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("-(\\d[^/]*)\\.jar$").matcher(location);
    return m.find() ? m.group(1) : "?";
  }

  private static String gitCommit() {
    try {
      String head = run("git", "rev-parse", "--short", "HEAD");
      // The files a run writes do not make the code it ran differ from the commit.
      String dirty =
          run(
              "git",
              "status",
              "--porcelain",
              "--untracked-files=no",
              "--",
              "..",
              ":(exclude)results",
              ":(exclude)README-section.md");
      return head.isEmpty() ? "?" : head + (dirty.isEmpty() ? "" : " (with uncommitted changes)");
    } catch (IOException | InterruptedException e) {
      return "?";
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
  }
}
