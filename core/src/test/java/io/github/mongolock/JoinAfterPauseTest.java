package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.freshCollection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Found by {@link TortureTest} (a run with SIGSTOP faults reported 48 overlaps no holder was told
 * of): a process whose threads share a read hold is stopped past its lease; another client evicts
 * it and takes the write lock. When the process goes on, before its lease watch has declared the
 * hold lost, other threads of the same client ask for the read lock and are granted it at once:
 * they join the client's local read hold (which MongoDB no longer has) without asking MongoDB,
 * while the other client writes, and their unlocks return normally (only the client's last reader
 * finds out, and throws {@link LockLostException}). A fresh acquire after the pause must not be
 * granted while another client holds the write lock; and a thread of a lost hold should not be told
 * "released".
 *
 * <p>The joiners race the lease watch after the pause: several of them spin, so that some usually
 * win. Every attempt is checked; the test fails when any joiner was granted the lock.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JoinAfterPauseTest {

  private static final Duration LEASE = Duration.ofMillis(2_000);
  private static final Duration RENEW = Duration.ofMillis(500);
  private static final int JOINERS = 6;

  @Test
  void threadsOfAPausedReaderAreNotLetInWhileAnotherClientWrites(MongoDatabase db)
      throws Exception {
    MongoCollection<Document> locks = freshCollection(db);
    String lockID = "paused";
    Process child =
        ChildJvm.builder(
                List.of(),
                PausedReaderProcess.class,
                List.of(
                    TestMongo.get().uri(),
                    db.getName(),
                    locks.getNamespace().getCollectionName(),
                    lockID,
                    "paused",
                    String.valueOf(LEASE.toMillis()),
                    String.valueOf(RENEW.toMillis()),
                    String.valueOf(JOINERS)))
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      OutputStream in = child.getOutputStream();
      await(out, "held");
      RWMutex writer =
          new RWMutex(
              locks,
              lockID,
              "writer",
              LockTestSupport.fast().toBuilder().leaseTime(LEASE).renewInterval(RENEW).build());

      tell(in, "arm");
      await(out, "armed");
      signal("-STOP", child);
      // the paused process's lease runs out; the writer evicts it
      writer.lock(Duration.ofSeconds(30));
      signal("-CONT", child);
      String joined = await(out, "joined ");
      String released = await(out, "released ");
      writer.unlock();
      tell(in, "release");
      String first = await(out, "first ");
      System.out.printf(
          "[pause] after a SIGSTOP past the lease, while another client held the write lock: %s"
              + " of %d joiners were granted the read lock; their unlocks: %s; the first reader's"
              + " unlock: %s%n",
          joined.substring("joined ".length()),
          JOINERS,
          released.substring("released ".length()),
          first.substring("first ".length()));
      assertEquals(
          "joined 0",
          joined,
          "threads of the paused client were granted the read lock while another client held the"
              + " write lock");
      assertEquals("first LockLostException", first, "the first reader's hold was lost");
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    } finally {
      child.destroyForcibly();
    }
  }

  private static void signal(String signal, Process child) throws Exception {
    Process kill =
        new ProcessBuilder("kill", signal, String.valueOf(child.pid())).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill " + signal);
  }

  private static void tell(OutputStream in, String word) throws Exception {
    in.write((word + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** The child's next line that starts with {@code prefix}; its other lines are printed. */
  private static String await(BufferedReader out, String prefix) throws Exception {
    String l = ChildJvm.nextLine(out, line -> line.startsWith(prefix), Duration.ofSeconds(60));
    assertTrue(l != null, "the child said " + prefix);
    return l;
  }
}
