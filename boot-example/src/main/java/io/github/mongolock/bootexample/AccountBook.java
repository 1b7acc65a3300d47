package io.github.mongolock.bootexample;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The resource every node works on, like a file or an external system without transactions: a write
 * that overlaps any other access of the same account breaks it. Here the overlap is detected and
 * thrown as {@link Overlap}, and a write that slipped through anyway loses an update, so the final
 * balances show it too. One instance is shared by the nodes of a run.
 */
public final class AccountBook {

  /** An access overlapped a write of the same account: the locks did not exclude it. */
  public static final class Overlap extends IllegalStateException {
    Overlap(String message) {
      super(message);
    }
  }

  private static final class Account {
    final AtomicInteger readers = new AtomicInteger();
    final AtomicInteger writers = new AtomicInteger();
    volatile long balance;
  }

  private final Map<String, Account> accounts = new ConcurrentHashMap<>();
  private final LongAdder overlaps = new LongAdder();
  private final AtomicInteger mostReadersAtOnce = new AtomicInteger();

  private Account account(String name) {
    return accounts.computeIfAbsent(name, n -> new Account());
  }

  long read(String name) {
    Account account = account(name);
    int readers = account.readers.incrementAndGet();
    mostReadersAtOnce.accumulateAndGet(readers, Math::max);
    try {
      check(name, account, "read", false);
      long balance = account.balance;
      pause();
      check(name, account, "read", false);
      return balance;
    } finally {
      account.readers.decrementAndGet();
    }
  }

  long add(String name, long amount) {
    Account account = account(name);
    account.writers.incrementAndGet();
    try {
      check(name, account, "write", true);
      long balance = account.balance;
      pause();
      account.balance = balance + amount; // an update lost if another write overlapped
      check(name, account, "write", true);
      return balance + amount;
    } finally {
      account.writers.decrementAndGet();
    }
  }

  /** The balance now, without the checks (for the summary, after the run). */
  long balance(String name) {
    return account(name).balance;
  }

  long overlaps() {
    return overlaps.sum();
  }

  /** The most readers of one account at the same time: above 1 shows that readers share. */
  int mostReadersAtOnce() {
    return mostReadersAtOnce.get();
  }

  private void check(String name, Account account, String access, boolean writing) {
    int otherWriters = account.writers.get() - (writing ? 1 : 0);
    int otherReaders = account.readers.get() - (writing ? 0 : 1);
    if (otherWriters > 0 || (writing && otherReaders > 0)) {
      overlaps.increment();
      throw new Overlap(
          access
              + " of "
              + name
              + " overlapped "
              + otherWriters
              + " write(s) and "
              + otherReaders
              + " read(s)");
    }
  }

  private static void pause() {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextInt(1, 4));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
