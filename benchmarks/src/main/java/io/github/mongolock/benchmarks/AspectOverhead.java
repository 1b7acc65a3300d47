package io.github.mongolock.benchmarks;

import io.github.mongolock.benchmarks.Stats.Spread;
import io.github.mongolock.benchmarks.jmh.AspectBenchmark;
import io.github.mongolock.benchmarks.jmh.AspectBenchmark.Fixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * 6. What {@code @WriteLocked} adds per call to the programmatic lock+unlock, and what a listener
 * (one that does nothing, and {@code MicrometerLockListener}) adds to it (JMH), on a collection
 * without I/O so that the difference is not lost in a server's round trip.
 */
final class AspectOverhead extends Part {

  AspectOverhead(Run run) {
    super(run);
  }

  @Override
  void measure() throws Exception {
    progress("6. per-call cost without I/O: aspect and listeners");
    List<String> methods =
        List.of(
            "programmatic",
            "freshMutex",
            "mongoLocks",
            "annotated",
            "noOpListener",
            "micrometerListener");
    Map<String, String> writes = new LinkedHashMap<>();
    try (Fixture fixture = new Fixture()) {
      Map<String, Runnable> calls =
          Map.of(
              "programmatic", fixture::programmatic,
              "freshMutex", fixture::freshMutex,
              "mongoLocks", fixture::mongoLocks,
              "annotated", fixture::annotated,
              "noOpListener", fixture::noOpListener,
              "micrometerListener", fixture::micrometerListener);
      for (String method : methods) {
        writes.put(method, fmt(fixture.writesPerCall(calls.get(method), 100), 2));
      }
      // writesPerCall made one call before its 100 counted ones
      fixture.checkMicrometerTimed(101);
    }
    Map<String, List<Double>> nanos =
        PerCallCost.jmhRounds(
            run,
            AspectBenchmark.class,
            methods,
            settings.aspectRounds(),
            // 750 ms compiled the lock's own path but not the Micrometer listener's (observations,
            // meter lookups): that fork measured about 26 µs per call where 3 s gives about 4 µs
            Duration.ofSeconds(3));
    List<Double> programmatic = nanos.get("programmatic");
    Spread annotated = Spread.of(overheadMicros(nanos.get("annotated"), programmatic));
    String goal = verdict(annotated.median() <= 2, "goal ≤ 2 µs");
    List<List<String>> rows = new ArrayList<>();
    rows.add(
        row(
            "`mutex.lock(); try { body } finally { mutex.unlock(); }`, no listener",
            nanos,
            "programmatic",
            writes,
            ""));
    rows.add(
        row(
            "`try (var h = new RWMutex(...).acquireWrite(30 s)) { body }` (what MongoLocks does"
                + " inside)",
            nanos,
            "freshMutex",
            writes,
            ""));
    rows.add(row("`mongoLocks.withWriteLock(id, body)`", nanos, "mongoLocks", writes, ""));
    rows.add(
        row(
            "`@WriteLocked(id)` method through the Spring proxy",
            nanos,
            "annotated",
            writes,
            goal));
    rows.add(
        row(
            "programmatic, runtime with one `LockListener` that does nothing",
            nanos,
            "noOpListener",
            writes,
            ""));
    rows.add(
        row(
            "programmatic, runtime with a `MicrometerLockListener` (timers in a"
                + " `SimpleMeterRegistry` through a `DefaultMeterObservationHandler`, no tracer)",
            nanos,
            "micrometerListener",
            writes,
            ""));
    summary.add(
        List.of(
            "Aspect overhead per call (`@WriteLocked` − programmatic lock+unlock, JMH, no I/O),"
                + " median (min–max) of "
                + annotated.n()
                + " rounds",
            annotated.format(2) + " µs",
            goal));
    summary.add(
        List.of(
            "Time per programmatic write lock+unlock without listener (JMH, no I/O), median"
                + " (min–max) of "
                + programmatic.size()
                + " rounds",
            Spread.of(programmatic).format(0) + " ns",
            ""));
    for (String listener : List.of("micrometerListener", "noOpListener")) {
      List<Double> with = nanos.get(listener);
      summary.add(
          List.of(
              "Time per write lock+unlock with "
                  + (listener.equals("noOpListener")
                      ? "a `LockListener` that does nothing"
                      : "a `MicrometerLockListener`")
                  + " ÷ without listener, same round (JMH, no I/O), median (min–max) of "
                  + with.size()
                  + " rounds",
              Spread.of(Stats.ratios(with, programmatic)).format(2)
                  + "; +"
                  + Spread.of(overheadMicros(with, programmatic)).format(2)
                  + " µs",
              ""));
    }
    report.heading(3, "6. Per-call cost without I/O: the aspect and listeners");
    report.paragraph(
        "JMH, one thread, same lock and client ID in all, on a `MongoCollection` that"
            + " answers every write at once without I/O (the writes themselves are the same in all:"
            + " counted in the writes column), so that the difference is not lost in the"
            + " variation of a server round trip. Overhead and ratio compare the call's time with"
            + " the programmatic call's time of the same round; "
            + settings.aspectRounds()
            + " rounds, one fork per benchmark and round (3 s of warm-up, as the Micrometer"
            + " listener's code needs that long to be compiled; its figure: the fastest measured"
            + " iteration), rotating order. The first four run in the shared runtime, which has no"
            + " listener: mutexes then skip the listener SPI entirely. The listener rows run the"
            + " programmatic call in a runtime of their own with one listener; before the forks,"
            + " the Micrometer listener was checked to have timed each of 101 acquires and holds.");
    report.table(
        List.of(
            "call",
            "ns per call, median (min–max)",
            "overhead, µs, median (min–max)",
            "÷ programmatic, same round",
            "writes per call",
            "goal"),
        rows);
  }

  private static List<String> row(
      String call,
      Map<String, List<Double>> nanos,
      String method,
      Map<String, String> writes,
      String goal) {
    List<Double> programmatic = nanos.get("programmatic");
    List<Double> these = nanos.get(method);
    boolean baseline = method.equals("programmatic");
    return List.of(
        call,
        Spread.of(these).format(0),
        baseline ? "" : Spread.of(overheadMicros(these, programmatic)).format(2),
        baseline ? "1" : Spread.of(Stats.ratios(these, programmatic)).format(2),
        writes.get(method),
        goal);
  }

  private static List<Double> overheadMicros(List<Double> nanos, List<Double> programmatic) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < Math.min(nanos.size(), programmatic.size()); i++) {
      out.add((nanos.get(i) - programmatic.get(i)) / 1000.0);
    }
    return out;
  }
}
