package io.github.mongolock.examples;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The shared resource all nodes work on: stock counts per SKU that, like a file or an external
 * system without transactions, breaks when a write overlaps any other access to the same SKU. Here
 * it throws {@link Overlap} instead of breaking, so the example proves exclusion rather than
 * printing "locked". One instance is shared by every simulated node.
 */
public final class Shelf {

  /** A write overlapped another access of the same SKU: the lock failed to exclude it. */
  public static final class Overlap extends IllegalStateException {
    Overlap(String message) {
      super(message);
    }
  }

  private static final class Slot {
    final AtomicInteger readers = new AtomicInteger();
    final AtomicInteger writers = new AtomicInteger();
    volatile int stock;
  }

  private final Map<String, Slot> slots = new ConcurrentHashMap<>();

  private Slot slot(String sku) {
    return slots.computeIfAbsent(sku, s -> new Slot());
  }

  /** Reads a count; throws {@link Overlap} when a write of the same SKU is in progress. */
  public int read(String sku) {
    LockWaits.entered();
    Slot slot = slot(sku);
    slot.readers.incrementAndGet();
    try {
      check(sku, slot, "read", 0);
      int stock = slot.stock;
      pause();
      check(sku, slot, "read", 0);
      return stock;
    } finally {
      slot.readers.decrementAndGet();
    }
  }

  /** Adds {@code delta}; throws {@link Overlap} when anything else touches the SKU meanwhile. */
  public int add(String sku, int delta) {
    LockWaits.entered();
    Slot slot = slot(sku);
    slot.writers.incrementAndGet();
    try {
      check(sku, slot, "write", 1);
      int stock = slot.stock;
      pause();
      slot.stock = stock + delta; // a lost update if another write overlapped
      check(sku, slot, "write", 1);
      return stock + delta;
    } finally {
      slot.writers.decrementAndGet();
    }
  }

  public int stock(String sku) {
    return slot(sku).stock;
  }

  private static void check(String sku, Slot slot, String access, int ownWrites) {
    int writers = slot.writers.get() - ownWrites;
    int readers = slot.readers.get() - (ownWrites == 0 ? 1 : 0);
    if (writers > 0 || (ownWrites == 1 && readers > 0)) {
      throw new Overlap(
          access
              + " of "
              + sku
              + " overlapped "
              + writers
              + " write(s) and "
              + readers
              + " read(s)");
    }
  }

  private static void pause() {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextInt(1, 3));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
