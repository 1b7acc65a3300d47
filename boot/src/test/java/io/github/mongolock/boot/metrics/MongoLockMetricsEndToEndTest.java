package io.github.mongolock.boot.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import io.github.mongolock.aspect.MongoLocks;
import io.github.mongolock.aspect.WriteLocked;
import io.github.mongolock.boot.MongoLockAutoConfiguration;
import io.github.mongolock.testkit.CommandShapes;
import io.github.mongolock.testkit.TestMongo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The whole chain in a Boot application: Boot's metrics and observations, the mongo-lock
 * auto-configuration's runtime with the metrics listener registered on it, and annotated methods
 * and {@link MongoLocks} calls whose locks show in Boot's meter registry under their
 * low-cardinality names.
 */
class MongoLockMetricsEndToEndTest {

  private static final String DB = "t_boot_metrics_e2e";
  private static final CommandShapes SHAPES =
      TestMongo.get().isStrict() ? CommandShapes.forStandalone() : new CommandShapes();
  private static MongoClient client;

  @BeforeAll
  static void connect() {
    System.out.println(
        "[mongo-lock] MongoLockMetricsEndToEndTest runs on " + TestMongo.get().description());
    client = TestMongo.get().newClient(SHAPES);
    client.getDatabase(DB).drop();
  }

  @AfterAll
  static void disconnect() {
    try {
      client.getDatabase(DB).drop();
    } finally {
      client.close();
    }
    SHAPES.assertNoViolations();
  }

  /** An annotated service: each invoice its own lock, all under one name. */
  public static class Invoices {
    @WriteLocked("invoice-#{#id}")
    public void send(int id) {}
  }

  @Configuration(proxyBeanMethods = false)
  static class Application {
    @Bean(destroyMethod = "")
    MongoClient mongoClient() {
      return client;
    }

    @Bean
    Invoices invoices() {
      return new Invoices();
    }
  }

  private static Class<?>[] autoConfigurations() {
    List<Class<?>> all = new ArrayList<>();
    all.add(MongoLockMetricsAutoConfiguration.class);
    all.add(MongoLockAutoConfiguration.class);
    for (String name :
        new String[] {
          "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration",
          "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
          "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
          "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
          "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"
        }) {
      try {
        all.add(Class.forName(name));
      } catch (ClassNotFoundException otherBootVersion) {
        // listed for the other Boot version
      }
    }
    assertThat(all).as("ours and one Boot version's four").hasSize(6);
    return all.toArray(Class<?>[]::new);
  }

  @Test
  void annotatedMethodsAndNamedLocksShowInBootsMeterRegistryUnderTheirNames() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(autoConfigurations()))
        .withUserConfiguration(Application.class)
        .withPropertyValues("mongo-lock.database=" + DB)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Invoices invoices = context.getBean(Invoices.class);
              for (int id = 0; id < 50; id++) {
                invoices.send(id);
              }
              MongoLocks locks = context.getBean(MongoLocks.class);
              locks.named("payment").withReadLock("payment-7", () -> "paid");
              locks.withWriteLock("nightly-report", () -> "done");

              MeterRegistry meters = context.getBean(MeterRegistry.class);
              Timer invoiceLocks =
                  meters
                      .get("mongo.lock.acquire")
                      .tags("lock.name", "invoice-#{#id}", "mode", "write", "outcome", "acquired")
                      .timer();
              assertThat(invoiceLocks.count()).isEqualTo(50);
              assertThat(
                      meters
                          .get("mongo.lock.held")
                          .tags("lock.name", "invoice-#{#id}", "outcome", "released")
                          .timer()
                          .count())
                  .isEqualTo(50);
              assertThat(
                      meters
                          .get("mongo.lock.acquire")
                          .tags("lock.name", "payment", "mode", "read")
                          .timer()
                          .count())
                  .isEqualTo(1);
              // a lock without a name is named by its ID
              assertThat(
                      meters
                          .get("mongo.lock.held")
                          .tag("lock.name", "nightly-report")
                          .timer()
                          .count())
                  .isEqualTo(1);
              assertThat(meters.get("mongo.lock.acquire").timers())
                  .as("one timer per name and mode, not per invoice")
                  .hasSize(3);
            });
  }
}
