package io.github.mongolock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The torture checker on logs written by hand: what it counts as an overlap, and as told. */
class TortureLogTest {

  @TempDir Path dir;

  private TortureLog.Process read(String name, Map<String, Long> death, String... lines)
      throws Exception {
    Path file = dir.resolve(name + ".log");
    Files.write(file, List.of(lines), StandardCharsets.UTF_8);
    return TortureLog.read(name, file, 1_000, death);
  }

  private static List<TortureLog.Overlap> overlaps(TortureLog.Process... processes) {
    List<TortureLog.Section> all = new ArrayList<>();
    for (TortureLog.Process p : processes) {
      all.addAll(p.sections);
    }
    return TortureLog.overlaps(all);
  }

  @Test
  void handOffsInSequenceAndSharedReadsAreNoOverlap() throws Exception {
    TortureLog.Process a =
        read(
            "a",
            null,
            "B 0 k W tryLock 100",
            "S 0 k W 500 1 10",
            "X 0 k W 2 11 1",
            "U 0 k W ok 300",
            "B 0 k R rLock 100",
            "S 0 k R 500 5 12",
            "X 0 k R 8 13 1",
            "U 0 k R ok 300");
    TortureLog.Process b =
        read(
            "b",
            null,
            "B 3 k W lock 100",
            "S 3 k W 900 3 10",
            "X 3 k W 4 10 1",
            "U 3 k W ok 200",
            "B 3 k R tryRLock 50",
            "S 3 k R 500 6 12",
            "X 3 k R 7 12 1",
            "U 3 k R LockReleaseException 1200000",
            "B 3 other W tryLock 50",
            "S 3 other W 500 1 12",
            "X 3 other W 9 12 1",
            "U 3 other W ok 1200");
    assertEquals(List.of(), overlaps(a, b));
    assertEquals(10, a.calls.size() + b.calls.size(), "an acquire and a release per section");
    assertEquals("LockReleaseException", b.calls.get(3).outcome());
    assertEquals(200, b.calls.get(3).overshootMicros() / 1_000, "1200 ms against a 1000 ms bound");
  }

  @Test
  void aWriteInsideAnotherHoldIsAnOverlapToldOnlyWhenAHolderWasTold() throws Exception {
    TortureLog.Process a =
        read(
            "a",
            null,
            "B 0 k W tryLock 100",
            "S 0 k W 500 1 10",
            "X 0 k W 4 11 1",
            "U 0 k W ok 300",
            "B 1 j W tryLock 100",
            "S 1 j W 500 1 10",
            "L - j W",
            "X 1 j W 4 11 1",
            "U 1 j W ok 300");
    TortureLog.Process b =
        read(
            "b",
            null,
            "B 0 k R tryRLock 100",
            "S 0 k R 500 2 10",
            "X 0 k R 3 11 1",
            "U 0 k R ok 300",
            "B 0 j R tryRLock 100",
            "S 0 j R 500 2 10",
            "X 0 j R 3 11 1",
            "U 0 j R ok 300");
    List<TortureLog.Overlap> found = overlaps(a, b);
    assertEquals(2, found.size(), found.toString());
    TortureLog.Overlap onJ = found.get(0);
    TortureLog.Overlap onK = found.get(1);
    assertEquals("j", onJ.lock());
    assertTrue(onJ.told(), "the writer on j was told of a loss inside its section");
    assertEquals("k", onK.lock());
    assertFalse(onK.told(), "nobody on k was told: a silent overlap");
  }

  @Test
  void aSectionOfAKilledProcessEndsWhenTheProcessHadDied() throws Exception {
    TortureLog.Process killed =
        read(
            "killed",
            Map.of("k", 10L),
            "B 0 k W lock 100",
            "S 0 k W 500 1 10",
            "B 1 k R tryRLock 100",
            "B 2 k R tryRLock 1");
    TortureLog.Process next =
        read(
            "next",
            null,
            "B 0 k W lock 100",
            "S 0 k W 500 11 20",
            "X 0 k W 12 21 1",
            "U 0 k W ok 300",
            "B 1 k W lock 100",
            "S 1 k W 500 9 20",
            "X 1 k W 13 21 0",
            "U 1 k W ok 300");
    assertEquals(1, killed.killedInside);
    assertEquals(0, killed.unfinished);
    List<TortureLog.Overlap> found = overlaps(killed, next);
    assertEquals(2, found.size(), found.toString());
    assertTrue(
        found.stream().allMatch(TortureLog.Overlap::told),
        "the one starting before the death reported its hold lost; seq 9 < 10: " + found);
    assertEquals(
        1,
        found.stream().filter(o -> o.a().process().equals("killed")).count(),
        "the killed section overlaps only the section that began before the death: " + found);
  }

  @Test
  void aLiveProcessSectionWithoutAnEndIsReported() throws Exception {
    TortureLog.Process p = read("p", null, "B 0 k W lock 100", "S 0 k W 500 1 10", "F 0 boom");
    assertEquals(1, p.unfinished);
    assertEquals(1, p.failures.size());
  }

  @Test
  void aCallDuringWhichTheParentStoppedTheProcessIsMarkedPaused() throws Exception {
    TortureLog.Process p =
        read(
            "p",
            null,
            "B 0 k W lock 100",
            "B 1 k R rLock 100",
            "A 1 k R no 90000",
            "P stop",
            "B 2 k R tryRLock 100",
            "P cont",
            "A 0 k W LockTimeoutException 3000000",
            "A 2 k R no 2900000",
            "B 1 k R rLock 100",
            "A 1 k R no 100000");
    assertEquals(4, p.calls.size());
    assertFalse(p.calls.get(0).paused(), "ended before the pause");
    assertTrue(p.calls.get(1).paused(), "ran across it");
    assertTrue(p.calls.get(2).paused(), "began as the process was being stopped");
    assertFalse(p.calls.get(3).paused(), "began after it");
  }
}
