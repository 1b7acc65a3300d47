package io.github.mongolock.benchmarks;

import io.github.mongolock.benchmarks.Stats.Spread;
import io.github.mongolock.benchmarks.jmh.AspectBenchmark;
import io.github.mongolock.benchmarks.jmh.AspectBenchmark.Fixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * 6. What {@code @WriteLocked} adds per call to the programmatic lock+unlock (JMH), on a collection
 * without I/O so that the difference is not lost in a server's round trip.
 */
final class AspectOverhead extends Part {

  AspectOverhead(Run run) {
    super(run);
  }

  @Override
  void measure() throws Exception {
    progress("6. aspect overhead");
    List<List<String>> writes = new ArrayList<>();
    try (Fixture fixture = new Fixture()) {
      writes.add(
          List.of("programmatic", fmt(fixture.writesPerCall(fixture::programmatic, 100), 2)));
      writes.add(List.of("freshMutex", fmt(fixture.writesPerCall(fixture::freshMutex, 100), 2)));
      writes.add(List.of("mongoLocks", fmt(fixture.writesPerCall(fixture::mongoLocks, 100), 2)));
      writes.add(List.of("annotated", fmt(fixture.writesPerCall(fixture::annotated, 100), 2)));
    }
    Map<String, List<Double>> nanos =
        PerCallCost.jmhRounds(
            run,
            AspectBenchmark.class,
            List.of("programmatic", "freshMutex", "mongoLocks", "annotated"),
            settings.aspectRounds(),
            Duration.ofMillis(750));
    List<Double> programmatic = nanos.get("programmatic");
    Spread annotated = Spread.of(overheadMicros(nanos.get("annotated"), programmatic));
    Spread freshMutex = Spread.of(overheadMicros(nanos.get("freshMutex"), programmatic));
    Spread mongoLocks = Spread.of(overheadMicros(nanos.get("mongoLocks"), programmatic));
    String goal = verdict(annotated.median() <= 2, "goal ≤ 2 µs");
    List<List<String>> rows = new ArrayList<>();
    rows.add(
        List.of(
            "`mutex.lock(); try { body } finally { mutex.unlock(); }`",
            Spread.of(programmatic).format(0),
            "",
            writes.get(0).get(1),
            ""));
    rows.add(
        List.of(
            "`try (var h = new RWMutex(...).acquireWrite(30 s)) { body }` (what MongoLocks does"
                + " inside)",
            Spread.of(nanos.get("freshMutex")).format(0),
            freshMutex.format(2),
            writes.get(1).get(1),
            ""));
    rows.add(
        List.of(
            "`mongoLocks.withWriteLock(id, body)`",
            Spread.of(nanos.get("mongoLocks")).format(0),
            mongoLocks.format(2),
            writes.get(2).get(1),
            ""));
    rows.add(
        List.of(
            "`@WriteLocked(id)` method through the Spring proxy",
            Spread.of(nanos.get("annotated")).format(0),
            annotated.format(2),
            writes.get(3).get(1),
            goal));
    summary.add(
        List.of(
            "Aspect overhead per call (`@WriteLocked` − programmatic lock+unlock, JMH, no I/O),"
                + " median (min–max) of "
                + annotated.n()
                + " rounds",
            annotated.format(2) + " µs",
            goal));
    report.heading(3, "6. Aspect overhead per call");
    report.paragraph(
        "JMH, one thread, same lock and client ID in all, on a `MongoCollection` that"
            + " answers every write at once without I/O (the writes themselves are the same in all:"
            + " counted in the last column), so that the difference is not lost in the"
            + " variation of a server round trip. Overhead = the call's time minus the programmatic"
            + " call's time of the same round; "
            + settings.aspectRounds()
            + " rounds, one fork per benchmark and round (its figure: the fastest measured"
            + " iteration), rotating order.");
    report.table(
        List.of(
            "call",
            "ns per call, median (min–max)",
            "overhead, µs, median (min–max)",
            "writes per call",
            "goal"),
        rows);
  }

  private static List<Double> overheadMicros(List<Double> nanos, List<Double> programmatic) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < Math.min(nanos.size(), programmatic.size()); i++) {
      out.add((nanos.get(i) - programmatic.get(i)) / 1000.0);
    }
    return out;
  }
}
