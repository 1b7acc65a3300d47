package io.github.mongolock.bootexample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A smaller run of the Boot example, so that `mvn test` keeps it honest. */
class BootExampleTest {

  @Test
  void nodesSharingTheLockCollectionNeverOverlap() throws Exception {
    BootExample.Result result = new BootExample(2, 4, 20).run(true);
    assertEquals(160, result.calls());
    assertEquals(0, result.overlaps(), () -> "overlaps: " + result);
    assertEquals(0, result.failures(), () -> "failures: " + result);
    assertTrue(result.balancesMatch(), () -> "lost updates: " + result);
    assertTrue(result.writes() > 0 && result.reads() > 0, () -> "both kinds of call: " + result);
    assertTrue(result.excluded());
  }

  @Test
  void nodesWithTheirOwnLockCollectionsDoOverlapAndTheBookCatchesIt() throws Exception {
    // the negative control: the same run without a shared lock must be caught, or the check
    // above proves nothing
    BootExample.Result result = new BootExample(2, 4, 20).run(false);
    assertTrue(result.overlaps() > 0, () -> "no overlap caught: " + result);
    assertFalse(result.excluded());
  }
}
