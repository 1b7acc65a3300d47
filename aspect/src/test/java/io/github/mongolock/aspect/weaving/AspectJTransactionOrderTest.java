package io.github.mongolock.aspect.weaving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.RWMutex;
import io.github.mongolock.aspect.EnableMongoLocks;
import io.github.mongolock.aspect.WriteLocked;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.aop.support.AopUtils;
import org.springframework.context.annotation.AdviceMode;
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
 * Both woven: the lock aspect takes precedence over Spring's AnnotationTransactionAspect, so the
 * lock is held from before the transaction begins until after it commits or rolls back, also on a
 * call from the same object.
 */
@ExtendWith(MongoExtension.class)
class AspectJTransactionOrderTest {

  static final List<String> events = new CopyOnWriteArrayList<>();
  static MongoDatabase probeDatabase;

  static String ledger() {
    RWMutex probe = new RWMutex(probeDatabase.getCollection("locks"), "ledger", "probe");
    if (probe.tryLock()) {
      probe.unlock();
      return "free";
    }
    return "held";
  }

  static class RecordingTransactionManager extends AbstractPlatformTransactionManager {
    @Override
    protected Object doGetTransaction() {
      return new Object();
    }

    @Override
    protected void doBegin(Object transaction, TransactionDefinition definition) {
      events.add("begin, ledger " + ledger());
    }

    @Override
    protected void doCommit(DefaultTransactionStatus status) {
      events.add("commit, ledger " + ledger());
    }

    @Override
    protected void doRollback(DefaultTransactionStatus status) {
      events.add("rollback, ledger " + ledger());
    }
  }

  public static class Ledger {
    public void postFromThis(boolean fail) {
      post(fail);
    }

    @Transactional
    @WriteLocked("ledger")
    public void post(boolean fail) {
      events.add("body");
      if (fail) {
        throw new IllegalStateException("rejected");
      }
    }
  }

  @Configuration
  @EnableMongoLocks(mode = AdviceMode.ASPECTJ)
  @EnableTransactionManagement(mode = AdviceMode.ASPECTJ)
  static class Config {
    @Bean
    PlatformTransactionManager transactionManager() {
      return new RecordingTransactionManager();
    }

    @Bean
    Ledger ledger() {
      return new Ledger();
    }
  }

  MongoClient appClient;
  MongoClient probeClient;
  AnnotationConfigApplicationContext context;

  @BeforeEach
  void start(MongoDatabase database) {
    appClient = TestMongo.get().newClient();
    probeClient = TestMongo.get().newClient();
    probeDatabase = probeClient.getDatabase(database.getName());
    MongoDatabase appDatabase = appClient.getDatabase(database.getName());
    context = new AnnotationConfigApplicationContext();
    context.registerBean("mongoDatabase", MongoDatabase.class, () -> appDatabase);
    context.register(Config.class);
    context.refresh();
    events.clear();
  }

  @AfterEach
  void stop() {
    context.close();
    appClient.close();
    probeClient.close();
  }

  @Test
  void theWovenLockWrapsTheWovenTransaction() {
    Ledger ledger = context.getBean(Ledger.class);
    assertFalse(AopUtils.isAopProxy(ledger));
    ledger.postFromThis(false);
    events.add("returned, ledger " + ledger());
    assertEquals(
        List.of("begin, ledger held", "body", "commit, ledger held", "returned, ledger free"),
        events);
  }

  @Test
  void andIsReleasedAfterARollback() {
    Ledger ledger = context.getBean(Ledger.class);
    assertThrows(IllegalStateException.class, () -> ledger.postFromThis(true));
    events.add("returned, ledger " + ledger());
    assertEquals(
        List.of("begin, ledger held", "body", "rollback, ledger held", "returned, ledger free"),
        events);
  }
}
