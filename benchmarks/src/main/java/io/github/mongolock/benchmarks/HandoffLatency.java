package io.github.mongolock.benchmarks;

import io.github.mongolock.benchmarks.Stats.Spread;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** 3. Hand-off latency, ours and the seed's, waiter in the same process and in another. */
final class HandoffLatency extends Part {

  HandoffLatency(Run run) {
    super(run);
  }

  @Override
  void measure() throws Exception {
    progress("3. hand-off latency");
    List<Handoff.Variant> variants = new ArrayList<>();
    variants.add(Handoff.oursSameJvm(workloads.locks()));
    variants.add(Handoff.oursOtherJvm(workloads.locks(), javaAgent));
    if (seed.available()) {
      for (int sleepTime : List.of(10, 1000)) {
        variants.add(Handoff.seedSameProcess(seed.first(), sleepTime));
        variants.add(Handoff.seedOtherProcess(seed.first(), seed.second(), sleepTime));
      }
    }
    Map<String, List<Double>> samples = new LinkedHashMap<>();
    Map<String, List<Double>> roundP50 = new LinkedHashMap<>();
    for (Handoff.Variant v : variants) {
      samples.put(v.name(), new ArrayList<>());
      roundP50.put(v.name(), new ArrayList<>());
      for (int i = 0; i < 2 && v.maxHoldMs() < 1000; i++) {
        v.sampleMs(nextLock("warm"), v.minHoldMs()); // warm-up, not recorded
      }
    }
    // Variants take turns sample by sample; the slow seed variants take their fewer samples spread
    // evenly over the round.
    int turns = settings.handoffSamples();
    int turn = 0;
    for (int round = 0; round < settings.handoffRounds(); round++) {
      Map<String, List<Double>> these = new LinkedHashMap<>();
      variants.forEach(v -> these.put(v.name(), new ArrayList<>()));
      for (int i = 0; i < turns; i++) {
        for (Handoff.Variant v : rotate(variants, turn++)) {
          int n = v.maxHoldMs() >= 1000 ? settings.slowHandoffSamples() : turns;
          if ((long) (i + 1) * n / turns > (long) i * n / turns) {
            long hold = ThreadLocalRandom.current().nextLong(v.minHoldMs(), v.maxHoldMs() + 1);
            these.get(v.name()).add(v.sampleMs(nextLock("handoff"), hold));
          }
        }
      }
      for (Handoff.Variant v : variants) {
        samples.get(v.name()).addAll(these.get(v.name()));
        roundP50.get(v.name()).add(Stats.percentile(these.get(v.name()), 50));
      }
      progress("   round " + (round + 1) + "/" + settings.handoffRounds() + " done");
    }

    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < variants.size(); i++) {
      Handoff.Variant v = variants.get(i);
      List<Double> all = samples.get(v.name());
      double p50 = Stats.percentile(all, 50);
      String ratio = "";
      String goal = "";
      if (i < 2) {
        double target = i == 0 ? 2 : 20;
        String what = "goal ~" + fmt(target, 0) + " ms at p50";
        goal =
            p50 > target && p50 <= 1.25 * target
                ? "about (" + what + ", within 25%)"
                : verdict(p50 <= target, what);
      } else {
        // the same placement of ours: same process for even rows, other process for odd rows
        ratio =
            Spread.of(
                    Stats.ratios(roundP50.get(v.name()), roundP50.get(variants.get(i % 2).name())))
                .format(1);
      }
      rows.add(
          List.of(
              v.name(),
              String.valueOf(all.size()),
              "uniform " + v.minHoldMs() + "–" + v.maxHoldMs(),
              fmt(p50, 1),
              fmt(Stats.percentile(all, 99), 1),
              Spread.of(roundP50.get(v.name())).format(1),
              ratio,
              goal));
      if (!v.name().endsWith("same process")) {
        summary.add(
            List.of(
                "Hand-off latency p50 / p99, " + v.name() + " (n=" + all.size() + ")",
                fmt(p50, 1) + " / " + fmt(Stats.percentile(all, 99), 1) + " ms",
                goal));
      }
    }
    String chart = "handoff-" + serverKind() + ".png";
    Files.createDirectories(settings.out());
    Chart.handoffCdf(
        samples,
        "server: "
            + mongo.description()
            + "; solid: waiter in the same process,"
            + " dashed: in another process",
        settings.out().resolve(chart));
    report.heading(3, "3. Hand-off latency (holder's release returns → waiter's acquire returns)");
    report.paragraph(
        "The waiter starts waiting right after the holder acquires; the holder keeps the lock for a"
            + " random time (so every phase of the waiter's polling is sampled), then releases. The"
            + " variants take turns sample by sample, "
            + settings.handoffRounds()
            + " rounds after unrecorded warm-up samples. Across processes both ends read the same"
            + " monotonic clock (checked at start-up). mongo-lock-java at default options; other"
            + " process = a second JVM started with this class path; the seed's other process = a"
            + " second Node process. p99 of a few dozen samples is close to their maximum.");
    report.table(
        List.of(
            "waiter",
            "samples",
            "hold ms",
            "p50 ms",
            "p99 ms",
            "per-round p50, median (min–max)",
            "p50 ÷ ours, same placement, same round",
            "goal"),
        rows);
    report.paragraph("![hand-off latency CDF](" + chart + ")");
  }
}
