package io.github.mongolock;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.bson.Document;

/**
 * One process of the torture run ({@code TortureTest}): {@code threads} threads take random locks
 * in random modes with bounded waits through the process's own fault proxy, until the parent writes
 * {@code stop} on standard input (or closes it). Arguments are {@code key=value} pairs (see {@link
 * #main}).
 *
 * <p>Every step is appended, as one line written with one system call (so a {@code kill -9} loses
 * nothing already written), to the process's log file, which the parent reads afterwards ({@link
 * TortureLog}). The order of critical sections across processes comes from MongoDB, not from any
 * clock: right after acquiring, and again right before releasing, a thread increments the lock's
 * sequence counter (one {@code findOneAndUpdate} on a document of its own, written through a direct
 * connection the faults do not touch; the server applies writes to a collection one at a time), so
 * a section that ends before another begins has the smaller end number. The server's clock ({@code
 * $currentDate}) is recorded beside each number, for reading only. Lines:
 *
 * <ul>
 *   <li>{@code B thread lock mode call boundMs}: an acquire is about to be called;
 *   <li>{@code A thread lock mode outcome micros}: it returned without the lock ({@code no}) or
 *       threw (the exception's simple name);
 *   <li>{@code S thread lock mode micros seq serverMillis}: it returned with the lock, and the
 *       section began at sequence number {@code seq};
 *   <li>{@code X thread lock mode seq serverMillis heldAtEnd}: the section ends at {@code seq},
 *       before the release is called ({@code heldAtEnd} 0 when the hold already reported itself
 *       lost);
 *   <li>{@code U thread lock mode outcome micros}: the release returned ({@code ok}) or threw;
 *   <li>{@code L - lock mode}: a lock-lost listener was called for this process;
 *   <li>{@code F thread text}: a failure: a Throwable that is not a {@link MongoLockException};
 *   <li>{@code H thread call elapsedMs boundMs}: the watchdog saw a call run far past its bound;
 *   <li>{@code P stop} and {@code P cont}: written by the parent, right before it stops the process
 *       (SIGSTOP) and right after it lets it go on (SIGCONT).
 * </ul>
 */
public final class TortureChild {

  /** A call still running this long past its bound is reported as a hang. */
  static final long HANG_MARGIN_MS = 10_000;

  private final Map<String, String> args;
  private final OutputStream log;
  private final MongoCollection<Document> locks;
  private final MongoCollection<Document> sequences;
  private final String clientID;
  private final int threads;
  private final int lockCount;
  private final int writePercent;
  private final RWMutexOptions options;
  private final long commandTimeoutMs;
  private final long seed;
  private volatile boolean stopping;

  /** Per thread: System.nanoTime() at the start of the running call, 0 when none runs. */
  private final AtomicLongArray callStart;

  /** Per thread: the running call's bound in milliseconds. */
  private final AtomicLongArray callBound;

  private final String[] callName;

  private TortureChild(Map<String, String> args, MongoClient viaProxy, MongoClient direct)
      throws IOException {
    this.args = args;
    this.log = new FileOutputStream(args.get("log"), true);
    String db = args.get("db");
    this.locks = viaProxy.getDatabase(db).getCollection(args.get("locks"));
    this.sequences = direct.getDatabase(db).getCollection(args.get("sequences"));
    this.clientID = args.get("client");
    this.threads = Integer.parseInt(args.get("threads"));
    this.lockCount = Integer.parseInt(args.get("lockCount"));
    this.writePercent = Integer.parseInt(args.get("writePercent"));
    this.commandTimeoutMs = Long.parseLong(args.get("commandMs"));
    this.seed = Long.parseLong(args.get("seed"));
    this.options =
        RWMutexOptions.builder()
            .leaseTime(Duration.ofMillis(Long.parseLong(args.get("leaseMs"))))
            .renewInterval(Duration.ofMillis(Long.parseLong(args.get("renewMs"))))
            .commandTimeout(Duration.ofMillis(commandTimeoutMs))
            .build();
    this.callStart = new AtomicLongArray(threads);
    this.callBound = new AtomicLongArray(threads);
    this.callName = new String[threads];
  }

  /**
   * Arguments: {@code proxyUri} (the lock's connection, through the fault proxy), {@code directUri}
   * (the sequence counters'), {@code db}, {@code locks} and {@code sequences} (collection names),
   * {@code client} (client ID), {@code threads}, {@code lockCount}, {@code writePercent}, {@code
   * leaseMs}, {@code renewMs}, {@code commandMs}, {@code seed}, {@code log} (the log file).
   */
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      args.put(a.substring(0, eq), a.substring(eq + 1));
    }
    int code;
    try (MongoClient viaProxy = MongoClients.create(args.get("proxyUri"));
        MongoClient direct = MongoClients.create(args.get("directUri"))) {
      code = new TortureChild(args, viaProxy, direct).run();
    }
    System.out.println("exit " + code);
    System.out.flush();
    System.exit(code);
  }

  private int run() throws Exception {
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int index = t;
      Thread worker = new Thread(() -> work(index), "torture-" + clientID + "-" + t);
      worker.setDaemon(true);
      workers.add(worker);
    }
    Thread watchdog = new Thread(this::watchdog, "torture-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    workers.forEach(Thread::start);
    System.out.println("started " + clientID);
    System.out.flush();

    // the parent says stop; end of input (the parent died) means stop too
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null && !line.equals("stop")) {
      // nothing else is said
    }
    stopping = true;
    // every call is bounded: the workers finish their sections well within this
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    boolean allEnded = true;
    for (Thread worker : workers) {
      worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (worker.isAlive()) {
        allEnded = false;
        StringBuilder trace = new StringBuilder();
        for (StackTraceElement e : worker.getStackTrace()) {
          trace.append(" at ").append(e);
        }
        write("F " + worker.getName() + " did not stop within 60 s:" + trace);
      }
    }
    return allEnded ? 0 : 3;
  }

  private void work(int t) {
    SplittableRandom random = new SplittableRandom(seed * 1_000 + t);
    RWMutex[] mutexes = new RWMutex[lockCount];
    for (int l = 0; l < lockCount; l++) {
      RWMutex m = new RWMutex(locks, lockName(l), clientID, options);
      m.addLockLostListener(
          (lockID, client, mode) -> write("L - " + lockID + " " + letter(mode == LockMode.WRITE)));
      mutexes[l] = m;
    }
    while (!stopping) {
      try {
        section(t, random, mutexes);
      } catch (Throwable e) {
        failure(t, e);
        if (e instanceof Error && !(e instanceof AssertionError)) {
          return;
        }
      }
    }
  }

  /** One acquire and, when it was granted, one critical section and its release. */
  private void section(int t, SplittableRandom random, RWMutex[] mutexes) {
    int l = random.nextInt(lockCount);
    String lockID = lockName(l);
    RWMutex mutex = mutexes[l];
    boolean write = random.nextInt(100) < writePercent;
    String mode = letter(write);
    boolean throwing = random.nextBoolean(); // lock(Duration) instead of tryLock(Duration)
    long timeoutMs = 20 + random.nextLong(1_480);
    String call = (throwing ? (write ? "lock" : "rLock") : (write ? "tryLock" : "tryRLock"));
    write("B " + t + " " + lockID + " " + mode + " " + call + " " + timeoutMs);
    Duration timeout = Duration.ofMillis(timeoutMs);
    boolean acquired;
    String outcome;
    startCall(t, call, timeoutMs);
    long start = System.nanoTime();
    try {
      if (throwing) {
        if (write) {
          mutex.lock(timeout);
        } else {
          mutex.rLock(timeout);
        }
        acquired = true;
      } else {
        acquired = write ? mutex.tryLock(timeout) : mutex.tryRLock(timeout);
      }
      outcome = acquired ? "ok" : "no";
    } catch (MongoLockException e) {
      acquired = false;
      outcome = e.getClass().getSimpleName();
    } finally {
      endCall(t);
    }
    long micros = (System.nanoTime() - start) / 1_000;
    if (!acquired) {
      write("A " + t + " " + lockID + " " + mode + " " + outcome + " " + micros);
      return;
    }
    try {
      Document s = next(lockID);
      write("S " + t + " " + lockID + " " + mode + " " + micros + " " + s.get("n") + " " + at(s));
      hold(random);
      boolean held =
          write ? mutex.isWriteLockedByCurrentThread() : mutex.isReadLockedByCurrentThread();
      Document e = next(lockID);
      write(
          "X "
              + t
              + " "
              + lockID
              + " "
              + mode
              + " "
              + e.get("n")
              + " "
              + at(e)
              + " "
              + (held ? 1 : 0));
    } finally {
      String unlock = write ? "unlock" : "rUnlock";
      startCall(t, unlock, commandTimeoutMs);
      long unlockStart = System.nanoTime();
      String released = "ok";
      try {
        if (write) {
          mutex.unlock();
        } else {
          mutex.rUnlock();
        }
      } catch (MongoLockException e) {
        released = e.getClass().getSimpleName();
      } finally {
        endCall(t);
      }
      long unlockMicros = (System.nanoTime() - unlockStart) / 1_000;
      write("U " + t + " " + lockID + " " + mode + " " + released + " " + unlockMicros);
    }
  }

  /** Mostly a moment; now and then long enough for a fault to strike inside the section. */
  private static void hold(SplittableRandom random) {
    int dice = random.nextInt(1_000);
    long micros;
    if (dice < 970) {
      micros = random.nextLong(3_000);
    } else if (dice < 999) {
      micros = 5_000 + random.nextLong(45_000);
    } else {
      micros = 500_000 + random.nextLong(2_000_000);
    }
    LockSupport.parkNanos(micros * 1_000);
  }

  /** The lock's next sequence number, with the server's clock. */
  private Document next(String lockID) {
    return sequences.findOneAndUpdate(
        Filters.eq("_id", lockID),
        Updates.combine(Updates.inc("n", 1L), Updates.currentDate("at")),
        new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
  }

  private static long at(Document d) {
    return d.getDate("at").getTime();
  }

  /** The name of lock number {@code index}. */
  static String lockName(int index) {
    return "torture-" + index;
  }

  static String letter(boolean write) {
    return write ? "W" : "R";
  }

  private void startCall(int t, String name, long boundMs) {
    callName[t] = name;
    callBound.set(t, boundMs);
    callStart.set(t, System.nanoTime());
  }

  private void endCall(int t) {
    callStart.set(t, 0);
  }

  /** Reports, once per call, every call that runs far past its bound. */
  private void watchdog() {
    long[] reported = new long[threads];
    while (true) {
      long now = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        long start = callStart.get(t);
        long elapsedMs = (now - start) / 1_000_000;
        if (start != 0 && reported[t] != start && elapsedMs > callBound.get(t) + HANG_MARGIN_MS) {
          reported[t] = start;
          write("H " + t + " " + callName[t] + " " + elapsedMs + " " + callBound.get(t));
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
    }
  }

  private void failure(int t, Throwable e) {
    StringBuilder text = new StringBuilder(e.toString());
    for (StackTraceElement frame : e.getStackTrace()) {
      text.append(" at ").append(frame);
    }
    write("F " + t + " " + text.toString().replace('\n', ' '));
    e.printStackTrace();
  }

  /** Appends one line with one system call; a kill -9 loses no line already written. */
  private void write(String line) {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    synchronized (log) {
      try {
        log.write(bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public String toString() {
    return "TortureChild" + args;
  }
}
