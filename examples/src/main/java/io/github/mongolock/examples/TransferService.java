package io.github.mongolock.examples;

import io.github.mongolock.aspect.MongoLocks;

/**
 * Where an annotation does not fit: a transfer needs two locks whose IDs are only known at run
 * time, taken in a fixed order so that two opposite transfers cannot deadlock.
 */
public class TransferService {

  private final MongoLocks locks;
  private final Shelf shelf;

  public TransferService(MongoLocks locks, Shelf shelf) {
    this.locks = locks;
    this.shelf = shelf;
  }

  public void transfer(String from, String to, int quantity) {
    String first = from.compareTo(to) < 0 ? from : to;
    String second = first.equals(from) ? to : from;
    locks.withWriteLock(
        "sku-" + first,
        () ->
            locks.withWriteLock(
                "sku-" + second,
                () -> {
                  shelf.add(from, -quantity);
                  return shelf.add(to, quantity);
                }));
  }
}
