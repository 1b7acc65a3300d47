package io.github.mongolock.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Order statistics over repetitions or samples. */
final class Stats {

  private Stats() {}

  /** Median with the range (min and max) of a set of per-repetition figures. */
  record Spread(double median, double min, double max, int n) {

    static Spread of(List<Double> values) {
      if (values.isEmpty()) {
        return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
      }
      double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      return new Spread(
          percentile(sorted, 50), sorted[0], sorted[sorted.length - 1], sorted.length);
    }

    /** "1234 (1100–1300)" with the given number of decimals. */
    String format(int decimals) {
      if (n == 0) {
        return "n/a";
      }
      String f = "%." + decimals + "f";
      return String.format(Locale.ROOT, f + " (" + f + "–" + f + ")", median, min, max);
    }
  }

  /** Percentile by linear interpolation between closest ranks; {@code sorted} ascending. */
  static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    double rank = p / 100.0 * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = (int) Math.ceil(rank);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
  }

  static double percentile(List<Double> values, double p) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    return percentile(sorted, p);
  }

  /** Element-wise a[i] / b[i]: ratios of figures measured back to back in the same repetition. */
  static List<Double> ratios(List<Double> a, List<Double> b) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      out.add(a.get(i) / b.get(i));
    }
    return out;
  }
}
