package io.github.mongolock.examples;

import io.github.mongolock.aspect.ReadLocked;
import io.github.mongolock.aspect.WriteLocked;

/** The annotated service: one lock per SKU, writers exclusive, readers shared. */
public class StockService {

  private final Shelf shelf;

  public StockService(Shelf shelf) {
    this.shelf = shelf;
  }

  @WriteLocked("sku-#{#sku}")
  public int restock(String sku, int quantity) {
    return shelf.add(sku, quantity);
  }

  @ReadLocked("sku-#{#sku}")
  public int count(String sku) {
    return shelf.read(sku);
  }
}
