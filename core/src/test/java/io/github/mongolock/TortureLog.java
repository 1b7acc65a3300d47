package io.github.mongolock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the log files of {@link TortureChild} processes and checks them: the critical sections of
 * every lock, as intervals of the lock's sequence numbers, must not overlap where one of them
 * writes, unless one of the two holders was told of a loss.
 *
 * <p>A section is the interval {@code [s, e]} between the two sequence numbers its thread took
 * after acquiring and before releasing. The numbers are handed out one at a time by the server in
 * the order the commands reach it, so if section A released before section B acquired, then {@code
 * e(A) < s(B)}; two sections whose intervals intersect were both inside at once. A section of a
 * process killed inside it has no end line; it ends, at the latest, at the number the parent took
 * right after the process had died ({@link Process#waitFor()}), which is what it is given.
 *
 * <p>A holder counts as told when its release threw {@link LockLostException}, when the hold
 * reported itself lost before the section ended, or when a lock-lost listener of its process was
 * called for the same lock and mode between the start of its acquire and the end of its release
 * (for a killed process: the end of its log). Readers of one process share one hold in MongoDB and
 * are told together; a late notice for an earlier hold of the same lock and mode in the same
 * process would count too, which can only make the checker more lenient, never report an overlap
 * that was not there.
 */
final class TortureLog {

  private TortureLog() {}

  /** One critical section. */
  record Section(
      String process,
      int thread,
      String lock,
      boolean write,
      long start,
      long end,
      long startMillis,
      long endMillis,
      boolean told,
      boolean killedInside) {

    boolean overlaps(Section other) {
      return start < other.end && other.start < end;
    }

    @Override
    public String toString() {
      return process
          + "/t"
          + thread
          + " "
          + (write ? "W" : "R")
          + " ["
          + start
          + ", "
          + end
          + "] server "
          + startMillis
          + ".."
          + endMillis
          + (told ? " told" : "")
          + (killedInside ? " killed inside" : "");
    }
  }

  /**
   * One call to the library and how long it took against its bound; {@code paused} when the parent
   * stopped the process (SIGSTOP) while the call ran, which the call's time includes.
   */
  record Call(
      String process, String name, long boundMs, long micros, String outcome, boolean paused) {
    long overshootMicros() {
      return micros - boundMs * 1_000;
    }

    @Override
    public String toString() {
      return String.format(
          "%s(%d ms) took %.1f ms (%s, %s%s)",
          name, boundMs, micros / 1_000.0, outcome, process, paused ? ", paused" : "");
    }
  }

  /** A pair of sections of one lock that were both inside at once, one of them writing. */
  record Overlap(String lock, Section a, Section b) {
    boolean told() {
      return a.told() || b.told();
    }

    @Override
    public String toString() {
      return lock + ": " + a + " and " + b;
    }
  }

  /** What one process's log says. */
  static final class Process {
    final String name;
    final List<Section> sections = new ArrayList<>();
    final List<Call> calls = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    final List<String> hangs = new ArrayList<>();

    /** Sections with a start but no end in a process that was not killed: a harness error. */
    int unfinished;

    /** Sections that were in progress when the process was killed. */
    int killedInside;

    long losses;

    Process(String name) {
      this.name = name;
    }
  }

  /**
   * Reads one process's log.
   *
   * @param deathSeq for a killed process, each lock's sequence number taken after its death; null
   *     for a process that was not killed
   */
  static Process read(String name, Path file, long commandTimeoutMs, Map<String, Long> deathSeq)
      throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    Process p = new Process(name);
    // positions (line numbers) of the lock-lost notices, per "lock mode"
    Map<String, List<Integer>> losses = new HashMap<>();
    // positions of the parent's pause marks ("P stop" before SIGSTOP, "P cont" after SIGCONT)
    List<Integer> pauses = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String[] f = lines.get(i).split(" ");
      if (f.length >= 4 && f[0].equals("L")) {
        losses.computeIfAbsent(f[2] + " " + f[3], k -> new ArrayList<>()).add(i);
        p.losses++;
      } else if (f[0].equals("P") && f.length >= 2) {
        if (f[1].equals("stop")) {
          pauses.add(i);
          pauses.add(lines.size()); // until its "P cont"
        } else if (!pauses.isEmpty()) {
          pauses.set(pauses.size() - 1, i);
        }
      }
    }
    Map<Integer, Open> open = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String[] f = line.split(" ");
      if (line.isEmpty() || (i == lines.size() - 1 && !complete(f))) {
        continue; // a line cut short by a kill -9 (one write call each: not expected)
      }
      switch (f[0]) {
        case "B" -> open.put(Integer.parseInt(f[1]), new Open(i, f[4], Long.parseLong(f[5])));
        case "A" -> {
          Open o = open.remove(Integer.parseInt(f[1]));
          if (o != null) {
            boolean paused = paused(pauses, o.begin, i);
            p.calls.add(new Call(name, o.call, o.boundMs, Long.parseLong(f[5]), f[4], paused));
          }
        }
        case "S" -> {
          Open o = open.get(Integer.parseInt(f[1]));
          boolean paused = paused(pauses, o.begin, i);
          p.calls.add(new Call(name, o.call, o.boundMs, Long.parseLong(f[4]), "ok", paused));
          o.released = i;
          o.lock = f[2];
          o.write = f[3].equals("W");
          o.start = Long.parseLong(f[5]);
          o.startMillis = Long.parseLong(f[6]);
        }
        case "X" -> {
          Open o = open.get(Integer.parseInt(f[1]));
          o.released = i;
          o.end = Long.parseLong(f[4]);
          o.endMillis = Long.parseLong(f[5]);
          o.lostBeforeEnd = f[6].equals("0");
        }
        case "U" -> {
          int t = Integer.parseInt(f[1]);
          Open o = open.remove(t);
          String outcome = f[4];
          p.calls.add(
              new Call(
                  name,
                  f[3].equals("W") ? "unlock" : "rUnlock",
                  commandTimeoutMs,
                  Long.parseLong(f[5]),
                  outcome,
                  o != null && paused(pauses, o.released, i)));
          if (o == null || o.start < 0) {
            continue; // the section's start could not be recorded (reported as a failure)
          }
          boolean told =
              outcome.equals("LockLostException")
                  || o.lostBeforeEnd
                  || noticed(losses, o.lock, o.write, o.begin, i);
          if (o.end < 0) {
            p.unfinished++;
            continue;
          }
          p.sections.add(
              new Section(
                  name,
                  t,
                  o.lock,
                  o.write,
                  o.start,
                  o.end,
                  o.startMillis,
                  o.endMillis,
                  told,
                  false));
        }
        case "F" -> p.failures.add(line);
        case "H" -> p.hangs.add(line);
        default -> {
          // L lines were read above
        }
      }
    }
    // sections still open at the end of the log
    for (Map.Entry<Integer, Open> e : open.entrySet()) {
      Open o = e.getValue();
      if (o.start < 0) {
        continue; // killed (or stopped) while acquiring
      }
      if (deathSeq == null) {
        p.unfinished++;
        continue;
      }
      p.killedInside++;
      boolean told = o.lostBeforeEnd || noticed(losses, o.lock, o.write, o.begin, lines.size());
      long end = o.end >= 0 ? o.end : deathSeq.get(o.lock);
      p.sections.add(
          new Section(
              name,
              e.getKey(),
              o.lock,
              o.write,
              o.start,
              end,
              o.startMillis,
              o.endMillis,
              told,
              true));
    }
    return p;
  }

  private static boolean complete(String[] f) {
    int expected =
        switch (f[0]) {
          case "B", "U" -> 6;
          case "A" -> 6;
          case "S" -> 7;
          case "X" -> 7;
          case "L" -> 4;
          default -> 2;
        };
    return f.length >= expected;
  }

  /** Whether a lock-lost notice for lock and mode lies between two positions of the log. */
  private static boolean noticed(
      Map<String, List<Integer>> losses, String lock, boolean write, int from, int to) {
    List<Integer> at = losses.get(lock + " " + (write ? "W" : "R"));
    return at != null && between(at, from, to);
  }

  /**
   * Whether the call from one position to another may have run while the process was stopped:
   * whether it overlaps one of the pauses, given as pairs of positions ({@code P stop} written
   * before SIGSTOP, {@code P cont} before SIGCONT).
   */
  private static boolean paused(List<Integer> pauses, int from, int to) {
    for (int i = 0; i + 1 < pauses.size(); i += 2) {
      if (from < pauses.get(i + 1) && to > pauses.get(i)) {
        return true;
      }
    }
    return false;
  }

  /** Whether one of the sorted positions lies between from and to. */
  private static boolean between(List<Integer> positions, int from, int to) {
    int i = Collections.binarySearch(positions, from);
    int first = i >= 0 ? i : -i - 1;
    return first < positions.size() && positions.get(first) < to;
  }

  /** A call in progress or a section not yet ended, per thread. */
  private static final class Open {
    final int begin;
    final String call;
    final long boundMs;

    /** Where the release began: the position of the X line (of the S line without one). */
    int released;

    String lock;
    boolean write;
    long start = -1;
    long end = -1;
    long startMillis;
    long endMillis;
    boolean lostBeforeEnd;

    Open(int begin, String call, long boundMs) {
      this.begin = begin;
      this.call = call;
      this.boundMs = boundMs;
    }
  }

  /**
   * Every pair of sections of one lock that were inside at once where at least one writes, found by
   * a sweep over the sections ordered by start.
   */
  static List<Overlap> overlaps(List<Section> sections) {
    Map<String, List<Section>> byLock = new TreeMap<>();
    for (Section s : sections) {
      byLock.computeIfAbsent(s.lock(), k -> new ArrayList<>()).add(s);
    }
    List<Overlap> found = new ArrayList<>();
    for (Map.Entry<String, List<Section>> e : byLock.entrySet()) {
      List<Section> list = e.getValue();
      list.sort(Comparator.comparingLong(Section::start));
      List<Section> active = new ArrayList<>();
      for (Section s : list) {
        active.removeIf(a -> a.end() < s.start());
        for (Section a : active) {
          if ((a.write() || s.write()) && a.overlaps(s)) {
            found.add(new Overlap(e.getKey(), a, s));
          }
        }
        active.add(s);
      }
    }
    return found;
  }
}
