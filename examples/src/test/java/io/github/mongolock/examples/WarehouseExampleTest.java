package io.github.mongolock.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A smaller run of the Spring example, so that `mvn test` keeps it honest. */
class WarehouseExampleTest {

  @Test
  void nodesSharingTheLockCollectionNeverOverlap() throws Exception {
    assertTrue(new WarehouseExample(2, 4, 20).run(true));
  }

  @Test
  void nodesWithTheirOwnLockCollectionsDoOverlapAndTheShelfCatchesIt() throws Exception {
    assertFalse(new WarehouseExample(2, 4, 20).run(false));
  }
}
