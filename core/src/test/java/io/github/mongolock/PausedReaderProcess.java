package io.github.mongolock;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A separate JVM for {@link JoinAfterPauseTest}: one thread takes the read lock and keeps it; on
 * {@code arm} (standard input) {@code joiners} more threads of the same client start watching
 * {@link System#nanoTime()} for a gap (the parent stops the process with SIGSTOP, past the lease,
 * and lets it go on); right after the gap each asks for the read lock once ({@code tryRLock()}) and
 * releases what it got. Prints {@code held}, {@code armed}, then {@code joined N} (how many were
 * granted), {@code released {outcome=count}} (of their unlocks) and, after {@code release} on
 * standard input, {@code first OUTCOME} (the first reader's unlock). Arguments: uri database
 * collection lockID clientID leaseMillis renewMillis joiners.
 */
public final class PausedReaderProcess {

  private PausedReaderProcess() {}

  public static void main(String[] args) throws Exception {
    MongoClient client = MongoClients.create(args[0]);
    RWMutexOptions options =
        RWMutexOptions.builder()
            .leaseTime(Duration.ofMillis(Long.parseLong(args[5])))
            .renewInterval(Duration.ofMillis(Long.parseLong(args[6])))
            .build();
    RWMutex mutex =
        new RWMutex(client.getDatabase(args[1]).getCollection(args[2]), args[3], args[4], options);
    int joiners = Integer.parseInt(args[7]);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch held = new CountDownLatch(1);
    String[] firstOutcome = new String[1];
    Thread first =
        new Thread(
            () -> {
              mutex.rLock();
              held.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              firstOutcome[0] = unlock(mutex);
            },
            "first-reader");
    first.start();
    held.await();
    say("held");

    expect(in, "arm");
    AtomicInteger joined = new AtomicInteger();
    Map<String, Integer> released = new TreeMap<>();
    List<Thread> threads = new ArrayList<>();
    CountDownLatch spinning = new CountDownLatch(joiners);
    for (int i = 0; i < joiners; i++) {
      Thread t =
          new Thread(
              () -> {
                spinning.countDown();
                long last = System.nanoTime();
                while (true) {
                  long now = System.nanoTime();
                  if (now - last > TimeUnit.MILLISECONDS.toNanos(500)) {
                    break; // the process was stopped and goes on
                  }
                  last = now;
                }
                boolean got = mutex.tryRLock();
                if (got) {
                  joined.incrementAndGet();
                  String outcome = unlock(mutex);
                  synchronized (released) {
                    released.merge(outcome, 1, Integer::sum);
                  }
                }
              },
              "joiner-" + i);
      threads.add(t);
      t.start();
    }
    spinning.await();
    say("armed");
    for (Thread t : threads) {
      t.join();
    }
    say("joined " + joined.get());
    say("released " + released);

    expect(in, "release");
    release.countDown();
    first.join();
    say("first " + firstOutcome[0]);
    client.close();
    System.exit(0);
  }

  private static String unlock(RWMutex mutex) {
    try {
      mutex.rUnlock();
      return "ok";
    } catch (MongoLockException e) {
      return e.getClass().getSimpleName();
    }
  }

  private static void expect(BufferedReader in, String word) throws Exception {
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals(word)) {
        return;
      }
    }
    System.exit(2); // the parent is gone
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
