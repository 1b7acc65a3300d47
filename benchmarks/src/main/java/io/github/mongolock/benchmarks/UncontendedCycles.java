package io.github.mongolock.benchmarks;

import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.benchmarks.Run.Variant;
import io.github.mongolock.benchmarks.Stats.Spread;
import io.github.mongolock.benchmarks.Workloads.Cycle;
import io.github.mongolock.benchmarks.Workloads.Throughput;
import io.github.mongolock.benchmarks.jmh.AspectBenchmark.Fixture;
import io.github.mongolock.benchmarks.jmh.MicrometerRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.bson.Document;

/**
 * 2. Uncontended lock+unlock cycles per second, 1 and 8 threads each on its own lock, against the
 * raw driver sending the same number of single-document commands, ShedLock and the seed; and ours
 * again with a {@code MicrometerLockListener}, to divide by ours without one.
 */
final class UncontendedCycles extends Part {

  /** Variants take turns in windows this long, so that noise falls on all of them alike. */
  private static final int SLICE_MS = 100;

  UncontendedCycles(Run run) {
    super(run);
  }

  /**
   * The name the listener's meters get: one per mode, as an application names the locks of one
   * kind, rather than one meter per lock ID (every slice uses new lock IDs).
   */
  private static final RWMutexOptions WRITE_NAMED =
      RWMutexOptions.builder().name("bench-write").build();

  private static final RWMutexOptions READ_NAMED =
      RWMutexOptions.builder().name("bench-read").build();

  @Override
  void measure() {
    try (MicrometerRuntime micrometer = new MicrometerRuntime()) {
      measure(micrometer);
    }
  }

  private void measure(MicrometerRuntime micrometer) {
    progress("2. uncontended cycles/s");
    int window = settings.cycleWindowMs();
    List<Variant> variants = new ArrayList<>();
    for (int threads : List.of(1, 8)) {
      variants.add(java("ours-write-" + threads, threads, workloads::oursWrite));
      variants.add(
          java(
              "ours-write-micrometer-" + threads,
              threads,
              prefix -> workloads.oursWrite(prefix, micrometer.runtime(), WRITE_NAMED)));
      variants.add(
          java(
              "ours-read-micrometer-" + threads,
              threads,
              prefix -> workloads.oursRead(prefix, micrometer.runtime(), READ_NAMED)));
      variants.add(java("raw-write-" + threads, threads, workloads::rawWrite));
      variants.add(java("ours-read-" + threads, threads, workloads::oursRead));
      variants.add(java("raw-read-" + threads, threads, workloads::rawRead));
      variants.add(
          java(
              "replay-write-" + threads,
              threads,
              prefix ->
                  workloads.replay(
                      run.recordedWrite.commands(), run.recordedWrite.lockID(), prefix)));
      variants.add(
          java(
              "replay-read-" + threads,
              threads,
              prefix ->
                  workloads.replay(
                      run.recordedRead.commands(), run.recordedRead.lockID(), prefix)));
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
    warmUpListenerPath();
    int slices = Math.max(1, window / SLICE_MS);
    Map<String, List<Double>> results =
        rounds(variants, settings.rounds(), slices, window / slices);
    long acquiresTimed = micrometer.acquiresTimed();
    long holdsTimed = micrometer.holdsTimed();
    if (acquiresTimed == 0 || holdsTimed != acquiresTimed) {
      // every cycle is one acquire and one hold: anything else means the listener was skipped
      throw new IllegalStateException(
          "MicrometerLockListener timed "
              + acquiresTimed
              + " acquires and "
              + holdsTimed
              + " holds of the uncontended cycles (locks bench-write, bench-read)");
    }

    List<List<String>> rows = new ArrayList<>();
    for (int threads : List.of(1, 8)) {
      List<Double> rawWrite = results.get("raw-write-" + threads);
      List<Double> rawRead = results.get("raw-read-" + threads);
      List<Double> replayWrite = results.get("replay-write-" + threads);
      List<Double> replayRead = results.get("replay-read-" + threads);
      List<Double> shed = results.get("shedlock-" + threads);
      rows.add(
          cycleRow(
              "mongo-lock-java write",
              threads,
              results.get("ours-write-" + threads),
              rawWrite,
              shed,
              replayWrite,
              true));
      rows.add(
          cycleRow("raw driver, write-equivalent", threads, rawWrite, rawWrite, shed, null, false));
      rows.add(
          cycleRow(
              "raw driver replaying our write cycle's "
                  + run.recordedWrite.commands().size()
                  + " commands",
              threads,
              replayWrite,
              rawWrite,
              shed,
              null,
              false));
      rows.add(
          cycleRow(
              "mongo-lock-java read",
              threads,
              results.get("ours-read-" + threads),
              rawRead,
              shed,
              replayRead,
              true));
      rows.add(
          cycleRow("raw driver, read-equivalent", threads, rawRead, rawRead, shed, null, false));
      rows.add(
          cycleRow(
              "raw driver replaying our read cycle's "
                  + run.recordedRead.commands().size()
                  + " commands",
              threads,
              replayRead,
              rawRead,
              shed,
              null,
              false));
      rows.add(cycleRow("ShedLock (exclusive)", threads, shed, rawWrite, shed, null, false));
      if (seed.available()) {
        rows.add(
            cycleRow(
                "mongo-lock-node 2.0.0 write (Node, " + threads + " async loops)",
                threads,
                results.get("seed-write-" + threads),
                rawWrite,
                shed,
                null,
                false));
      }
    }
    for (String mode : List.of("write", "read")) {
      for (int threads : List.of(1, 8)) {
        List<Double> ours = results.get("ours-" + mode + "-" + threads);
        Spread byShedLock = Spread.of(Stats.ratios(ours, results.get("shedlock-" + threads)));
        Spread byRaw = Spread.of(Stats.ratios(ours, results.get("raw-" + mode + "-" + threads)));
        String what =
            " lock+unlock cycles/s, "
                + threads
                + (threads == 1 ? " thread" : " threads")
                + ", median (min–max) of "
                + byShedLock.n()
                + " rounds";
        summary.add(
            List.of(
                "Uncontended " + mode + what + " ÷ ShedLock's, same round",
                byShedLock.format(2),
                shedLockVerdict(byShedLock)));
        summary.add(
            List.of(
                "Uncontended " + mode + what + " ÷ raw driver's, same round", byRaw.format(2), ""));
      }
    }
    List<List<String>> listenerRows = new ArrayList<>();
    for (String mode : List.of("write", "read")) {
      for (int threads : List.of(1, 8)) {
        List<Double> without = results.get("ours-" + mode + "-" + threads);
        List<Double> with = results.get("ours-" + mode + "-micrometer-" + threads);
        Spread ratio = Spread.of(Stats.ratios(with, without));
        listenerRows.add(
            List.of(
                "mongo-lock-java " + mode,
                String.valueOf(threads),
                Spread.of(without).format(0),
                Spread.of(with).format(0),
                ratio.format(2)));
        summary.add(
            List.of(
                "Uncontended "
                    + mode
                    + " lock+unlock cycles/s, "
                    + threads
                    + (threads == 1 ? " thread" : " threads")
                    + ", with a `MicrometerLockListener` ÷ without, same round, median (min–max) of "
                    + ratio.n()
                    + " rounds",
                ratio.format(2),
                ""));
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
            + " `runCommand`, the exact commands one cycle of ours sent (captured by a command"
            + " listener, lock ID replaced): what the lock's filters cost the server, without the"
            + " library's client-side work. ShedLock (its Mongo provider, exclusive locks only) runs"
            + " on the same client and server; the goal is to be at least as fast as ShedLock, so"
            + " the goal column judges the median of the ÷ ShedLock ratio of the same round."
            + " The seed's `sleepTime` is not reached when uncontended.");
    report.table(
        List.of(
            "cycle",
            "threads",
            "cycles/s, median (min–max)",
            "÷ raw driver, same round",
            "÷ ShedLock, same round",
            "÷ replay of its own commands, same round",
            "goal"),
        rows);
    report.paragraph(
        "The same rounds also ran our cycles in a runtime of their own with a"
            + " `MicrometerLockListener` (acquire and hold timers in a `SimpleMeterRegistry`"
            + " through a `DefaultMeterObservationHandler`, no tracer; the mutexes named"
            + " `bench-write` and `bench-read`, so that the threads share one set of meters per"
            + " mode, as an application names the locks of one kind), taking turns with the"
            + " variants above. The rows above are without a listener. The listener timed "
            + acquiresTimed
            + " acquires and as many holds.");
    report.table(
        List.of(
            "cycle",
            "threads",
            "no listener, cycles/s, median (min–max)",
            "with `MicrometerLockListener`, cycles/s, median (min–max)",
            "with ÷ without, same round"),
        listenerRows);
  }

  /**
   * Runs the lock+unlock of both kinds of mutex, without and with the Micrometer listener, on a
   * collection without I/O until the JIT has compiled them: the rounds make only some thousands of
   * cycles per variant, and the listener's code, which nothing before this part runs, would
   * otherwise be measured partly interpreted (without I/O, about 26 µs per cycle instead of 4).
   */
  private static void warmUpListenerPath() {
    try (Fixture warm = new Fixture()) {
      for (int i = 0; i < 50_000; i++) {
        warm.programmatic();
        warm.micrometerListener();
      }
    }
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
      List<Double> shedLock,
      List<Double> replay,
      boolean goal) {
    Spread byShedLock = Spread.of(Stats.ratios(values, shedLock));
    return List.of(
        name,
        String.valueOf(threads),
        Spread.of(values).format(0),
        Spread.of(Stats.ratios(values, raw)).format(2),
        byShedLock.format(2),
        replay == null ? "" : Spread.of(Stats.ratios(values, replay)).format(2),
        goal ? shedLockVerdict(byShedLock) : "");
  }

  private static String shedLockVerdict(Spread byShedLock) {
    return verdict(byShedLock.median() >= 1.0, "goal ≥ 1.0 ÷ ShedLock");
  }
}
