package io.github.mongolock.aspect.weaving;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoDatabase;
import io.github.mongolock.aspect.EnableMongoLocks;
import io.github.mongolock.aspect.WriteLocked;
import io.github.mongolock.testkit.MongoExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
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

/** The woven aspect never lets a locked method run without its lock, or release it too early. */
@ExtendWith(MongoExtension.class)
class AspectJSafetyTest {

  static class Woven {
    @WriteLocked("woven")
    String work() {
      return "ran";
    }
  }

  @Test
  void withoutAConfiguredContextALockedMethodRefusesToRun() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Woven().work());
    assertTrue(
        e.getMessage().contains("@EnableMongoLocks(mode = AdviceMode.ASPECTJ)"), e.getMessage());
  }

  public static class Ledger {
    @WriteLocked("ledger")
    @Transactional
    public void post() {}
  }

  static class NoOpTransactionManager extends AbstractPlatformTransactionManager {
    @Override
    protected Object doGetTransaction() {
      return new Object();
    }

    @Override
    protected void doBegin(Object transaction, TransactionDefinition definition) {}

    @Override
    protected void doCommit(DefaultTransactionStatus status) {}

    @Override
    protected void doRollback(DefaultTransactionStatus status) {}
  }

  @Configuration
  @EnableMongoLocks(mode = AdviceMode.ASPECTJ)
  @EnableTransactionManagement
  static class ProxiedTransactions {
    @Bean
    PlatformTransactionManager transactionManager() {
      return new NoOpTransactionManager();
    }

    @Bean
    Ledger ledger() {
      return new Ledger();
    }
  }

  @Test
  void aWovenLockInsideAProxiedTransactionIsRefusedAtStartup(MongoDatabase database) {
    AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
    context.registerBean("mongoDatabase", MongoDatabase.class, () -> database);
    context.register(ProxiedTransactions.class);
    Exception e = assertThrows(Exception.class, context::refresh);
    assertTrue(e.getMessage().contains("Ledger.post()"), e.getMessage());
    assertTrue(e.getMessage().contains("released before the proxy commits"), e.getMessage());
    // the failed context unconfigured the aspect again
    assertThrows(IllegalStateException.class, () -> new Woven().work());
  }
}
