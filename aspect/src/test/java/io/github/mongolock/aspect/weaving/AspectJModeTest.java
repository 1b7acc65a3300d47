package io.github.mongolock.aspect.weaving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.RWMutex;
import io.github.mongolock.aspect.ClientIdProvider;
import io.github.mongolock.aspect.EnableMongoLocks;
import io.github.mongolock.aspect.ReadLocked;
import io.github.mongolock.aspect.WriteLocked;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.util.function.Supplier;
import org.aspectj.lang.Aspects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.aop.support.AopUtils;
import org.springframework.context.annotation.AdviceMode;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code @EnableMongoLocks(mode = ASPECTJ)} with load-time weaving (this class runs in the surefire
 * execution that adds {@code -javaagent:aspectjweaver.jar}; see aspect/pom.xml): calls from the
 * same object, private methods and objects Spring did not create are locked too.
 */
@ExtendWith(MongoExtension.class)
class AspectJModeTest {

  public static class Inventory {
    /** Not annotated: calls the locked method on this, which a proxy would not see. */
    public <T> T restock(String sku, Supplier<T> body) {
      return doRestock(sku, body);
    }

    @WriteLocked("sku-#{#sku}")
    private <T> T doRestock(String sku, Supplier<T> body) {
      return body.get();
    }

    public <T> T count(String sku, Supplier<T> body) {
      return doCount(sku, body);
    }

    @ReadLocked("sku-#{#sku}")
    final <T> T doCount(String sku, Supplier<T> body) {
      return body.get();
    }
  }

  /** Never a bean: created with new. */
  static class Unmanaged {
    @WriteLocked("unmanaged-#{#n}")
    <T> T work(int n, Supplier<T> body) {
      return body.get();
    }
  }

  @Configuration
  @EnableMongoLocks(mode = AdviceMode.ASPECTJ)
  static class Config {
    @Bean
    ClientIdProvider clientIdProvider() {
      return () -> "woven-app";
    }

    @Bean
    Inventory inventory() {
      return new Inventory();
    }
  }

  static MongoClient appClient;
  static MongoClient probeClient;
  static MongoDatabase probeDatabase;
  static AnnotationConfigApplicationContext context;

  @BeforeAll
  static void start(MongoDatabase database) {
    appClient = TestMongo.get().newClient();
    probeClient = TestMongo.get().newClient();
    probeDatabase = probeClient.getDatabase(database.getName());
    context = new AnnotationConfigApplicationContext();
    MongoDatabase appDatabase = appClient.getDatabase(database.getName());
    context.registerBean("mongoDatabase", MongoDatabase.class, () -> appDatabase);
    context.register(Config.class);
    context.refresh();
  }

  @AfterAll
  static void stop() {
    context.close();
    appClient.close();
    probeClient.close();
  }

  /** "free", "read" or "write", as a client with another ID and MongoClient sees the lock. */
  static String state(String lockId) {
    RWMutex probe = new RWMutex(probeDatabase.getCollection("locks"), lockId, "probe");
    if (probe.tryLock()) {
      probe.unlock();
      return "free";
    }
    if (probe.tryRLock()) {
      probe.rUnlock();
      return "read";
    }
    return "write";
  }

  @Test
  void theAspectIsWovenAndTheBeanIsNotAProxy() {
    assertTrue(Aspects.hasAspect(io.github.mongolock.aspect.MongoLockAspect.class));
    assertFalse(AopUtils.isAopProxy(context.getBean(Inventory.class)));
  }

  @Test
  void selfInvocationOfPrivateAndFinalMethodsIsLocked() {
    Inventory inventory = context.getBean(Inventory.class);
    assertEquals("write", inventory.restock("a1", () -> state("sku-a1")));
    assertEquals("free", state("sku-a1"));
    assertEquals("read", inventory.count("a1", () -> state("sku-a1")));
    assertEquals("free", state("sku-a1"));
  }

  @Test
  void objectsSpringDidNotCreateAreLocked() {
    assertEquals("write", new Unmanaged().work(7, () -> state("unmanaged-7")));
    assertEquals("free", state("unmanaged-7"));
  }

  @Test
  void exceptionsPropagateUnchangedAndReleaseTheLock() {
    IllegalStateException failure = new IllegalStateException("boom");
    IllegalStateException thrown =
        assertThrows(
            IllegalStateException.class,
            () ->
                new Unmanaged()
                    .work(
                        8,
                        () -> {
                          throw failure;
                        }));
    assertEquals(failure, thrown);
    assertEquals("free", state("unmanaged-8"));
  }

  @Test
  void aNullLockIdFailsBeforeTheBodyRuns() {
    Inventory inventory = context.getBean(Inventory.class);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> inventory.restock(null, () -> "never"));
    assertTrue(e.getMessage().contains("sku-#{#sku}"), e.getMessage());
  }
}
