package io.github.mongolock.examples;

import io.github.mongolock.testkit.TestMongo;

/**
 * What the README's run command starts: first {@link BasicExample} (the seed's usage: a write lock
 * keeps other clients out, readers share), then {@link WarehouseExample} (Spring services with
 * {@code @WriteLocked}/{@code @ReadLocked} on several simulated nodes, against a resource that
 * throws on overlap). Fails when any critical sections overlapped.
 */
public final class ExamplesMain {

  private ExamplesMain() {}

  public static void main(String[] args) throws Exception {
    boolean excluded;
    try {
      System.out.println("=== RWMutex: the seed's usage in Java");
      BasicExample.run();
      System.out.println();
      System.out.println("=== Spring: annotated services on 3 nodes");
      excluded = new WarehouseExample(3, 4, 40).run(true);
    } finally {
      TestMongo.shutdown();
    }
    if (!excluded) {
      throw new IllegalStateException("calls overlapped or failed: the locks did not exclude");
    }
  }
}
