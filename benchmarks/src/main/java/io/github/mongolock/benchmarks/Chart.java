package io.github.mongolock.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** Cumulative distributions of hand-off latency on a log axis, drawn with Java2D. */
final class Chart {

  private static final Color[] COLORS = {
    new Color(0x1f77b4), new Color(0x2ca02c), new Color(0xff7f0e),
    new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b)
  };
  private static final float[][] DASHES = {null, {8f, 5f}};

  private Chart() {}

  /**
   * Floor of the log axis; shorter (or slightly negative, see {@link Handoff}) latencies sit on it.
   */
  private static final double FLOOR_MS = 0.1;

  static void handoffCdf(Map<String, List<Double>> samplesMs, String subtitle, Path file)
      throws IOException {
    int width = 1100;
    int height;
    int left = 80;
    int right = 30;
    int top = 60;
    int bottom = 60 + 22 * samplesMs.size() + 20;
    int plotW = width - left - right;
    int plotH = 380;
    height = top + plotH + bottom;
    double max =
        samplesMs.values().stream().flatMap(List::stream).mapToDouble(d -> d).max().orElse(1);
    double lo = Math.log10(FLOOR_MS);
    double hi = Math.ceil(Math.log10(Math.max(max, 10)));

    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);

    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(
        "Hand-off latency: holder's release returns -> waiter's acquire returns (CDF)", left, 25);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(subtitle, left, 45);

    // grid: decades and their 2x, 5x on x; quarters on y
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int decade = (int) lo; decade <= hi; decade++) {
      for (int m : new int[] {1, 2, 5}) {
        double v = m * Math.pow(10, decade);
        double lv = Math.log10(v);
        if (lv < lo - 1e-9 || lv > hi + 1e-9) {
          continue;
        }
        int x = left + (int) Math.round((lv - lo) / (hi - lo) * plotW);
        g.setColor(m == 1 ? new Color(0xcccccc) : new Color(0xeeeeee));
        g.drawLine(x, top, x, top + plotH);
        if (m == 1 || plotW / (hi - lo) > 200) {
          g.setColor(Color.DARK_GRAY);
          String label =
              v >= 1
                  ? String.format(Locale.ROOT, "%.0f", v)
                  : String.format(Locale.ROOT, "%.1f", v);
          g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, top + plotH + 15);
        }
      }
    }
    for (int q = 0; q <= 4; q++) {
      int y = top + plotH - q * plotH / 4;
      g.setColor(new Color(0xcccccc));
      g.drawLine(left, y, left + plotW, y);
      g.setColor(Color.DARK_GRAY);
      String label = String.format(Locale.ROOT, "%.2f", q / 4.0);
      g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, plotW, plotH);
    g.drawString(
        "latency, ms (log scale; 0.1 ms or less drawn at 0.1)",
        left + plotW / 2 - 140,
        top + plotH + 32);
    g.drawString("fraction", 10, top + plotH / 2);

    int series = 0;
    int legendY = top + plotH + 62;
    for (Map.Entry<String, List<Double>> entry : samplesMs.entrySet()) {
      double[] sorted = entry.getValue().stream().mapToDouble(d -> d).toArray();
      if (sorted.length == 0) {
        continue;
      }
      Arrays.sort(sorted);
      Color color = COLORS[(series / 2) % COLORS.length];
      float[] dash = DASHES[series % 2];
      g.setColor(color);
      g.setStroke(
          new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
      int prevX = left;
      int prevY = top + plotH;
      for (int i = 0; i < sorted.length; i++) {
        double lv = Math.log10(Math.max(sorted[i], FLOOR_MS));
        int x = left + (int) Math.round((lv - lo) / (hi - lo) * plotW);
        int y = top + plotH - (int) Math.round((i + 1) / (double) sorted.length * plotH);
        g.drawLine(prevX, prevY, x, prevY); // step: horizontal then vertical
        g.drawLine(x, prevY, x, y);
        prevX = x;
        prevY = y;
      }
      g.drawLine(prevX, prevY, left + plotW, prevY);
      int lx = left;
      int ly = legendY + series * 22;
      g.drawLine(lx, ly - 4, lx + 40, ly - 4);
      g.setStroke(new BasicStroke(1f));
      g.setColor(Color.BLACK);
      g.drawString(
          String.format(
              Locale.ROOT,
              "%s  (n=%d, p50 %.1f ms, p99 %.1f ms)",
              entry.getKey(),
              sorted.length,
              Stats.percentile(sorted, 50),
              Stats.percentile(sorted, 99)),
          lx + 48,
          ly);
      series++;
    }
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }

  static Map<String, List<Double>> ordered() {
    return new LinkedHashMap<>();
  }
}
