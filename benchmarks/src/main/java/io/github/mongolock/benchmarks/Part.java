package io.github.mongolock.benchmarks;

import io.github.mongolock.benchmarks.Run.Variant;
import io.github.mongolock.testkit.TestMongo;
import java.util.List;
import java.util.Map;

/**
 * One part of the run: measures, then adds its table to the report and its headlines to the
 * summary.
 */
abstract class Part {

  static final String DATABASE = Run.DATABASE;

  final Run run;
  final Settings settings;
  final TestMongo mongo;
  final Workloads workloads;
  final Seed seed;
  final Agent javaAgent;
  final Report report;
  final List<List<String>> summary;

  Part(Run run) {
    this.run = run;
    this.settings = run.settings;
    this.mongo = run.mongo;
    this.workloads = run.workloads;
    this.seed = run.seed;
    this.javaAgent = run.javaAgent;
    this.report = run.report;
    this.summary = run.summary;
  }

  abstract void measure() throws Exception;

  String nextLock(String prefix) {
    return run.nextLock(prefix);
  }

  String serverKind() {
    return run.serverKind();
  }

  Map<String, List<Double>> rounds(List<Variant> variants, int rounds, int slices, int sliceMs) {
    return run.rounds(variants, rounds, slices, sliceMs);
  }

  static <T> List<T> rotate(List<T> items, int round) {
    return Run.rotate(items, round);
  }

  static void progress(String message) {
    Run.progress(message);
  }

  static String verdict(boolean met, String goal) {
    return Run.verdict(met, goal);
  }

  static String fmt(double value, int decimals) {
    return Run.fmt(value, decimals);
  }
}
