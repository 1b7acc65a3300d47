package io.github.mongolock.benchmarks;

import io.github.mongolock.benchmarks.Stats.Spread;
import io.github.mongolock.benchmarks.jmh.PerCallBenchmark;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** Time per uncontended call, one thread, with JMH: ours against the raw driver. */
final class PerCallCost extends Part {

  PerCallCost(Run run) {
    super(run);
  }

  /**
   * Runs each benchmark method once per round, in a fresh fork, the methods in rotating order;
   * returns each method's score per round: the fastest of the fork's measured iterations, because
   * on a shared machine the slower ones measure other processes' bursts.
   */
  static Map<String, List<Double>> jmhRounds(
      Run run,
      Class<?> benchmark,
      List<String> methods,
      int rounds,
      Duration warmup,
      String... jvmArgs)
      throws RunnerException {
    Map<String, List<Double>> scores = new LinkedHashMap<>();
    methods.forEach(m -> scores.put(m, new ArrayList<>()));
    Settings settings = run.settings;
    String[] withHeap = Arrays.copyOf(jvmArgs, jvmArgs.length + 1);
    withHeap[jvmArgs.length] = "-Xmx512m";
    for (int round = 0; round < rounds; round++) {
      for (String method : rotate(methods, round)) {
        Options options =
            new OptionsBuilder()
                .include(benchmark.getName() + "\\." + method + "$")
                .forks(1)
                .warmupIterations(settings.quick() ? 1 : (int) Math.max(1, warmup.toMillis() / 250))
                .warmupTime(TimeValue.milliseconds(250))
                .measurementIterations(settings.quick() ? 2 : 4)
                .measurementTime(TimeValue.milliseconds(250))
                .jvmArgsAppend(withHeap)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        RunResult result = new Runner(options).runSingle();
        double fastest = Double.MAX_VALUE;
        for (BenchmarkResult forked : result.getBenchmarkResults()) {
          for (IterationResult iteration : forked.getIterationResults()) {
            fastest = Math.min(fastest, iteration.getPrimaryResult().getScore());
          }
        }
        scores.get(method).add(fastest);
      }
    }
    return scores;
  }

  @Override
  void measure() throws RunnerException {
    progress("JMH: time per call");
    Map<String, List<Double>> micros =
        jmhRounds(
            run,
            PerCallBenchmark.class,
            List.of("oursWriteLockUnlock", "rawUpsertDelete"),
            settings.jmhRounds(),
            // At a few hundred µs per call the JIT needs seconds of calls before C2 has compiled
            // the lock's path; a shorter warm-up measured interpreted code and doubled the ratio.
            Duration.ofSeconds(6),
            "-Dbench.uri=" + mongo.uri(),
            "-Dbench.db=" + DATABASE);
    List<Double> raw = micros.get("rawUpsertDelete");
    List<List<String>> rows = new ArrayList<>();
    rows.add(
        List.of(
            "mongo-lock-java write lock+unlock",
            Spread.of(micros.get("oursWriteLockUnlock")).format(1),
            Spread.of(Stats.ratios(micros.get("oursWriteLockUnlock"), raw)).format(2)));
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
        "JMH average time; in each of "
            + settings.jmhRounds()
            + " rounds every benchmark gets a fresh fork (6 s of warm-up, as the JIT needs that"
            + " long at this call rate, then measured iterations of 250 ms; the fork's figure is"
            + " its fastest measured iteration), in rotating order, and the ratio divides by the"
            + " raw driver's time of the same round. The forks run one after another, so on a noisy"
            + " machine this ratio spreads more than the interleaved cycles/s ratio of part 2.");
    report.table(
        List.of("call", "µs per lock+unlock, median (min–max)", "÷ raw driver time"), rows);
  }
}
