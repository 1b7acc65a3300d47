package io.github.mongolock.benchmarks;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;

/**
 * 7. What the server refused. The client this JVM times carries no listener (it would add its cost
 * to every command of every variant), so the commands the benchmarks send are checked on watched
 * clients: the command counts (ours, the raw driver, ShedLock, uncontended), the renewal traffic,
 * the second JVM (hand-off waiter and the 2-JVM contended rows), and here the contended paths of
 * this JVM again: 8 writers on one lock, a 90/10 read/write mix and a few hand-offs, which send the
 * protocol's upserts, the clock-aware updates after their duplicate keys, and the waits.
 */
final class ProtocolCheck extends Part {

  ProtocolCheck(Run run) {
    super(run);
  }

  @Override
  void measure() throws Exception {
    progress("7. protocol check (server errors on watched clients)");
    int ms = settings.quick() ? 300 : 1000;
    long contendedOps = 0;
    int handoffs = 5;
    try (MongoClient watched = run.newWatchedClient(null)) {
      MongoCollection<Document> locks = watched.getDatabase(DATABASE).getCollection("locks");
      for (int readPercent : List.of(0, 90)) {
        contendedOps +=
            Workloads.measure(
                    8, Workloads.contended(locks, nextLock("check"), "check-w", readPercent), ms)
                .totalOps();
      }
      Handoff.Variant handoff = Handoff.oursSameJvm(locks);
      for (int i = 0; i < handoffs; i++) {
        handoff.sampleMs(nextLock("check"), 20);
      }
    }
    Document here = run.errors.toDocument();
    Document agent = javaAgent.call(new Document("op", "errors"));
    List<List<String>> rows = new ArrayList<>();
    ServerErrors.rows("this JVM (watched clients)", here, rows);
    ServerErrors.rows("second JVM", agent, rows);
    long unexpected = ServerErrors.unexpected(here) + ServerErrors.unexpected(agent);
    long commands = here.get("commands", Number.class).longValue();
    long agentCommands = agent.get("commands", Number.class).longValue();

    report.heading(3, "7. Errors the server returned");
    report.paragraph(
        "A command listener tallies every command error and `writeErrors` entry the "
            + mongo.description().replaceFirst(" at .*", "")
            + " returned to the watched clients: the command counts of part 1 (mongo-lock-java"
            + " write and read, the raw driver, ShedLock), the renewal traffic of part 5, the"
            + " second JVM (hand-off waiter, 2-JVM contended workers) and, at the end, 8"
            + " writers and then a 90/10 read/write mix on one lock for "
            + ms
            + " ms each ("
            + contendedOps
            + " lock+unlock) and "
            + handoffs
            + " hand-offs in this JVM. The client this JVM times in parts 2 to 4 carries no"
            + " listener (the second JVM's does); a refusal there would have ended the run with an"
            + " error. Duplicate key (11000) is"
            + " part of the protocol: an upsert that meets a lock it does not match; anything else"
            + " would be a command the server refused. Commands seen: "
            + commands
            + " in this JVM, "
            + agentCommands
            + " in the second JVM. Not watched: the JMH forks (which fail the run on any error)"
            + " and the seed's Node processes.");
    if (rows.isEmpty()) {
      report.paragraph("No errors.");
    } else {
      report.table(List.of("client", "command", "code", "kind", "count", "message"), rows);
    }
    summary.add(
        List.of(
            "Errors other than duplicate key that the server returned to the watched clients ("
                + (commands + agentCommands)
                + " commands)",
            String.valueOf(unexpected),
            verdict(unexpected == 0, "none refused")));
  }
}
