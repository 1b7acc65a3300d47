package io.github.mongolock.aspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;

/**
 * With default orders, the lock advice wraps {@code @Transactional}: the lock is written to MongoDB
 * before the transaction begins and released after it commits or rolls back. Recorded from both
 * sides: the transaction manager's callbacks (which also ask another client whether the lock is
 * held) and the lock's MongoDB commands.
 */
@ExtendWith(MongoExtension.class)
class TransactionOrderTest {

  static final List<String> events = new CopyOnWriteArrayList<>();
  static LockProbe probe;

  /** A real PlatformTransactionManager (Spring's template), with nothing behind it but a log. */
  static class RecordingTransactionManager extends AbstractPlatformTransactionManager {
    @Override
    protected Object doGetTransaction() {
      return new Object();
    }

    @Override
    protected void doBegin(Object transaction, TransactionDefinition definition) {
      events.add("tx begin, ledger " + probe.state("ledger"));
    }

    @Override
    protected void doCommit(DefaultTransactionStatus status) {
      events.add("tx commit, ledger " + probe.state("ledger"));
    }

    @Override
    protected void doRollback(DefaultTransactionStatus status) {
      events.add("tx rollback, ledger " + probe.state("ledger"));
    }
  }

  public static class Ledger {
    @WriteLocked("ledger")
    @Transactional
    public void post(boolean fail) {
      events.add("body");
      if (fail) {
        throw new IllegalStateException("rejected");
      }
    }
  }

  @Configuration
  @EnableMongoLocks
  @EnableTransactionManagement
  static class Config {
    @Bean
    ClientIdProvider clientIdProvider() {
      return () -> "ledger-app";
    }

    @Bean
    PlatformTransactionManager transactionManager() {
      return new RecordingTransactionManager();
    }

    @Bean
    Ledger ledger() {
      return new Ledger();
    }
  }

  private static final Set<String> WRITES = Set.of("update", "findAndModify", "delete", "insert");

  MongoClient appClient;
  AnnotationConfigApplicationContext context;

  @BeforeEach
  void start(MongoDatabase database) {
    probe = new LockProbe(database);
    CommandListener lockWrites =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            var collection = event.getCommand().get(event.getCommandName());
            if (WRITES.contains(event.getCommandName())
                && collection != null
                && collection.isString()
                && collection.asString().getValue().equals("locks")) {
              events.add("lock " + event.getCommandName());
            }
          }
        };
    appClient = TestMongo.get().newClient(lockWrites);
    context = TestContexts.start(appClient.getDatabase(database.getName()), Config.class);
    events.clear();
  }

  @AfterEach
  void stop() {
    context.close();
    appClient.close();
    probe.close();
  }

  @Test
  void theLockIsTakenBeforeTheTransactionBeginsAndReleasedAfterItCommits() {
    context.getBean(Ledger.class).post(false);
    events.add("returned, ledger " + probe.state("ledger"));

    assertOrder("tx commit, ledger write");
  }

  @Test
  void theLockIsReleasedAfterTheTransactionRollsBack() {
    assertThrows(IllegalStateException.class, () -> context.getBean(Ledger.class).post(true));
    events.add("returned, ledger " + probe.state("ledger"));

    assertOrder("tx rollback, ledger write");
  }

  private static void assertOrder(String end) {
    List<String> transaction = events.stream().filter(e -> !e.startsWith("lock ")).toList();
    assertEquals(
        List.of("tx begin, ledger write", "body", end, "returned, ledger free"),
        transaction,
        events.toString());
    int firstLockWrite = indexOf("lock ");
    int lastLockWrite = lastIndexOf("lock ");
    assertTrue(firstLockWrite >= 0, events.toString());
    assertTrue(firstLockWrite < events.indexOf("tx begin, ledger write"), events.toString());
    assertTrue(lastLockWrite > events.indexOf(end), events.toString());
    assertTrue(lastLockWrite < events.indexOf("returned, ledger free"), events.toString());
  }

  private static int indexOf(String prefix) {
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).startsWith(prefix)) {
        return i;
      }
    }
    return -1;
  }

  private static int lastIndexOf(String prefix) {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).startsWith(prefix)) {
        return i;
      }
    }
    return -1;
  }
}
