package io.github.mongolock.benchmarks;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

/**
 * The seed library, mongo-lock-node@2.0.0, in two Node processes (the second is the other process
 * of the hand-off benchmark). Installs {@code node/node_modules} with {@code npm ci} from the
 * committed lock file when it is missing. When Node is not installed the seed's figures are n/a.
 */
final class Seed implements AutoCloseable {

  private final Agent first;
  private final Agent second;
  private final String description;

  private Seed(Agent first, Agent second, String description) {
    this.first = first;
    this.second = second;
    this.description = description;
  }

  static Seed start(Path nodeDir, String uri, String database) {
    try {
      File dir = nodeDir.toFile();
      if (!Files.isDirectory(nodeDir.resolve("node_modules"))) {
        System.out.println("[bench] npm ci in " + nodeDir.toAbsolutePath());
        Process npm =
            new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
                .directory(dir)
                .inheritIO()
                .start();
        if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
          return unavailable("npm ci failed in " + nodeDir);
        }
      }
      Agent first = Agent.start("node agent 1", List.of("node", "agent.js"), dir);
      Agent second = Agent.start("node agent 2", List.of("node", "agent.js"), dir);
      Document init =
          new Document("op", "init")
              .append("uri", uri)
              .append("db", database)
              .append("coll", "locks");
      Document info = first.call(init);
      second.call(init);
      first.checkSharedClock();
      second.checkSharedClock();
      return new Seed(
          first,
          second,
          "mongo-lock-node "
              + info.get("seed")
              + " on Node "
              + info.get("node")
              + ", Node driver mongodb "
              + info.get("driver"));
    } catch (IOException | RuntimeException e) {
      return unavailable("Node not usable: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return unavailable("interrupted");
    }
  }

  private static Seed unavailable(String why) {
    System.out.println("[bench] seed figures will be n/a: " + why);
    return new Seed(null, null, "n/a: " + why);
  }

  boolean available() {
    return first != null;
  }

  Agent first() {
    return first;
  }

  Agent second() {
    return second;
  }

  String describe() {
    return description;
  }

  @Override
  public void close() {
    if (first != null) {
      first.close();
      second.close();
    }
  }
}
