package io.github.mongolock.benchmarks;

import java.nio.file.Path;
import java.util.Locale;

/**
 * How long each part runs. Defaults keep a whole run near five minutes on two cores; {@code
 * -Dbench.quick=true} shrinks everything for a smoke run. Every field can be set as {@code
 * -Dbench.<name>=...} (through Maven: {@code -Dbench.jvmArgs="-Dbench.rounds=7"}).
 */
record Settings(
    boolean quick,
    int rounds,
    int cycleWindowMs,
    int contendedRounds,
    int contendedWindowMs,
    int handoffRounds,
    int handoffSamples,
    int slowHandoffSamples,
    int jmhRounds,
    int aspectRounds,
    int commandCycles,
    int renewalLocks,
    int renewIntervalMs,
    int renewalIntervals,
    String only,
    Path out) {

  /** Whether a part runs: all do unless {@code -Dbench.only=cycles,handoff} names some. */
  boolean runs(String part) {
    return only.isBlank() || java.util.Arrays.asList(only.split(",")).contains(part);
  }

  static Settings fromSystemProperties() {
    boolean quick = Boolean.getBoolean("bench.quick");
    return new Settings(
        quick,
        get("rounds", quick ? 2 : 5),
        get("cycleWindowMs", quick ? 300 : 500),
        get("contendedRounds", quick ? 1 : 3),
        get("contendedWindowMs", quick ? 500 : 1500),
        get("handoffRounds", quick ? 1 : 3),
        get("handoffSamples", quick ? 5 : 15),
        get("slowHandoffSamples", quick ? 1 : 5),
        get("jmhRounds", quick ? 1 : 3),
        get("aspectRounds", quick ? 1 : 4),
        get("commandCycles", 100),
        get("renewalLocks", quick ? 1000 : 10_000),
        get("renewIntervalMs", 3000),
        get("renewalIntervals", 2),
        System.getProperty("bench.only", ""),
        Path.of(System.getProperty("bench.out", "results")));
  }

  private static int get(String name, int fallback) {
    return Integer.getInteger("bench." + name, fallback);
  }

  String describe() {
    return String.format(
            Locale.ROOT,
            "rounds=%d x %d ms (uncontended cycles), %d x %d ms (contended), hand-off %d rounds x"
                + " %d samples (%d with the seed's 1 s poll), JMH %d rounds (aspect %d), %d cycles"
                + " for command counts, %d locks x %d renewal intervals of %d ms%s",
            rounds,
            cycleWindowMs,
            contendedRounds,
            contendedWindowMs,
            handoffRounds,
            handoffSamples,
            slowHandoffSamples,
            jmhRounds,
            aspectRounds,
            commandCycles,
            renewalLocks,
            renewalIntervals,
            renewIntervalMs,
            quick ? " (quick smoke run: figures are rough)" : "")
        + (only.isBlank() ? "" : ", only " + only);
  }
}
