package io.github.mongolock.boot.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.mongolock.HoldEnd;
import io.github.mongolock.LockEvent;
import io.github.mongolock.LockListener;
import io.github.mongolock.LockMode;
import io.github.mongolock.micrometer.DefaultLockAcquireObservationConvention;
import io.github.mongolock.micrometer.DefaultLockHeldObservationConvention;
import io.github.mongolock.micrometer.LockAcquireObservationConvention;
import io.github.mongolock.micrometer.LockHeldObservationConvention;
import io.github.mongolock.micrometer.MicrometerLockListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

/**
 * {@link MongoLockMetricsAutoConfiguration} with Boot's own metrics and observation
 * auto-configurations (those of the Boot version on the class path: 3.5 by default, 4.0 with {@code
 * -Pboot4}), with registries the application defines, and without.
 */
class MongoLockMetricsAutoConfigurationTest {

  private static final String[] BOOT_3 = {
    "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration"
  };

  private static final String[] BOOT_4 = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
    "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"
  };

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(MongoLockMetricsAutoConfiguration.class));

  /**
   * Boot's metrics and observation auto-configurations of the Boot version under test, by name:
   * exactly one of the two sets must be on the class path.
   *
   * @param observation whether to include the observation auto-configuration
   */
  private static Class<?>[] bootMetrics(boolean observation) {
    List<Class<?>> found = new ArrayList<>();
    for (String[] set : new String[][] {BOOT_3, BOOT_4}) {
      for (String name : set) {
        if (!observation && name.endsWith(".ObservationAutoConfiguration")) {
          continue;
        }
        try {
          found.add(Class.forName(name));
        } catch (ClassNotFoundException absent) {
          // the other Boot version's
        }
      }
    }
    int expected = observation ? 4 : 3;
    assertThat(found)
        .as("Boot's metrics auto-configurations of one Boot version")
        .hasSize(expected);
    return found.toArray(Class<?>[]::new);
  }

  private static LockEvent lock(String lockID) {
    return new LockEvent("order", lockID, "client_1", LockMode.WRITE, "db.locks");
  }

  /** One acquire and hold of {@code lock}, as the core reports them. */
  private static void acquireAndRelease(ApplicationContext context, String lockID) {
    LockListener listener = context.getBean(LockListener.class);
    listener.acquireStarted(lock(lockID)).acquired().ended(HoldEnd.RELEASED, null);
  }

  @Test
  void withBootsMetricsAndObservationsTheListenerMakesTimersAndCountersInBootsRegistry() {
    // ours listed first: only its afterName puts it after Boot's, where the registries exist
    List<Class<?>> configurations = new ArrayList<>();
    configurations.add(MongoLockMetricsAutoConfiguration.class);
    configurations.addAll(List.of(bootMetrics(true)));
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(configurations.toArray(Class<?>[]::new)))
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(MicrometerLockListener.class);
              assertThat(context.getBeansOfType(LockListener.class)).hasSize(1);
              acquireAndRelease(context, "order-1");
              context.getBean(LockListener.class).renewed("db.locks", 2);

              MeterRegistry meters = context.getBean(MeterRegistry.class);
              assertThat(
                      meters
                          .get("mongo.lock.acquire")
                          .tags("lock.name", "order", "mode", "write", "outcome", "acquired")
                          .timer()
                          .count())
                  .isEqualTo(1);
              assertThat(meters.get("mongo.lock.held").tag("outcome", "released").timer().count())
                  .isEqualTo(1);
              assertThat(meters.get("mongo.lock.held.active").longTaskTimer().activeTasks())
                  .isZero();
              assertThat(
                      meters.get("mongo.lock.renewals").tag("outcome", "success").counter().count())
                  .isEqualTo(1);
            });
  }

  private static void acquireAndRelease(ApplicationContext context, String name, String lockID) {
    context
        .getBean(LockListener.class)
        .acquireStarted(new LockEvent(name, lockID, "client_1", LockMode.WRITE, "db.locks"))
        .acquired()
        .ended(HoldEnd.RELEASED, null);
  }

  @Test
  void theLockMetersKeepAtMostTheConfiguredNumberOfLockNames() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(bootMetrics(true)))
        .withConfiguration(AutoConfigurations.of(MongoLockMetricsAutoConfiguration.class))
        .withPropertyValues("mongo-lock.metrics.max-lock-names=3")
        .run(
            context -> {
              for (int i = 0; i < 5; i++) {
                acquireAndRelease(context, "order-" + i, "order-" + i); // IDs as names
              }
              acquireAndRelease(context, "order-1", "order-1"); // a name already kept
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              assertThat(
                      meters.find("mongo.lock.acquire").timers().stream()
                          .map(t -> t.getId().getTag("lock.name"))
                          .distinct()
                          .sorted()
                          .toList())
                  .containsExactly("order-0", "order-1", "order-2");
              assertThat(
                      meters.get("mongo.lock.acquire").tag("lock.name", "order-1").timer().count())
                  .isEqualTo(2);
            });
  }

  @Test
  void theLockNameLimitDefaultsToAHundredAndRefusesZero() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(bootMetrics(true)))
        .withConfiguration(AutoConfigurations.of(MongoLockMetricsAutoConfiguration.class))
        .run(
            context -> {
              for (int i = 0; i < 120; i++) {
                acquireAndRelease(context, "n" + i, "n" + i);
              }
              assertThat(
                      context
                          .getBean(MeterRegistry.class)
                          .find("mongo.lock.acquire")
                          .timers()
                          .size())
                  .isEqualTo(100);
            });
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(bootMetrics(true)))
        .withConfiguration(AutoConfigurations.of(MongoLockMetricsAutoConfiguration.class))
        .withPropertyValues("mongo-lock.metrics.max-lock-names=0")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("mongo-lock.metrics.max-lock-names"));
  }

  @Test
  void bootsObservationPropertiesCanTurnTheLockObservationsOff() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(bootMetrics(true)))
        .withConfiguration(AutoConfigurations.of(MongoLockMetricsAutoConfiguration.class))
        .withPropertyValues("management.observations.enable.mongo.lock=false")
        .run(
            context -> {
              acquireAndRelease(context, "order-1");
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              assertThat(meters.find("mongo.lock.acquire").timer()).isNull();
              assertThat(meters.find("mongo.lock.held").timer()).isNull();
            });
  }

  @Test
  void withBootsMetricsButNoObservationRegistryTheTimersStillCome() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(bootMetrics(false)))
        .withConfiguration(AutoConfigurations.of(MongoLockMetricsAutoConfiguration.class))
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(ObservationRegistry.class);
              acquireAndRelease(context, "order-1");
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              assertThat(meters.get("mongo.lock.acquire").timer().count()).isEqualTo(1);
              assertThat(meters.get("mongo.lock.held").timer().count()).isEqualTo(1);
            });
  }

  @Test
  void anApplicationsMeterRegistryAloneIsEnough() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    runner
        .withBean(MeterRegistry.class, () -> meters)
        .run(
            context -> {
              assertThat(context).hasSingleBean(MicrometerLockListener.class);
              acquireAndRelease(context, "order-1");
              assertThat(meters.get("mongo.lock.acquire").timer().count()).isEqualTo(1);
            });
  }

  @Test
  void anApplicationsObservationRegistryAloneGetsTheObservations() {
    TestObservationRegistry observations = TestObservationRegistry.create();
    runner
        .withBean(ObservationRegistry.class, () -> observations)
        .run(
            context -> {
              assertThat(context).hasSingleBean(MicrometerLockListener.class);
              acquireAndRelease(context, "order-1");
              context.getBean(LockListener.class).lost(lock("order-1"), "lease expired");
              TestObservationRegistryAssert.assertThat(observations)
                  .hasNumberOfObservationsEqualTo(2)
                  .hasObservationWithNameEqualTo("mongo.lock.acquire")
                  .that()
                  .hasHighCardinalityKeyValue("lock.id", "order-1");
            });
  }

  @Test
  void backsOffWithoutRegistries() {
    runner.run(
        context ->
            assertThat(context)
                .hasNotFailed()
                .doesNotHaveBean(MicrometerLockListener.class)
                .doesNotHaveBean(LockListener.class));
  }

  @Test
  void backsOffWithoutMicrometerOrTheMicrometerModuleOnTheClassPath() {
    runner
        .withClassLoader(new FilteredClassLoader("io.micrometer."))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(LockListener.class));
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withClassLoader(new FilteredClassLoader(MicrometerLockListener.class))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(LockListener.class));
  }

  @Test
  void backsOffWhenMongoLockIsDisabled() {
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues("mongo-lock.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(MicrometerLockListener.class));
  }

  @Test
  void anApplicationsOwnListenerWins() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    MicrometerLockListener own = new MicrometerLockListener(ObservationRegistry.NOOP, meters);
    runner
        .withBean(MeterRegistry.class, () -> meters)
        .withBean("myLockMetrics", MicrometerLockListener.class, () -> own)
        .run(
            context -> {
              assertThat(context).hasSingleBean(MicrometerLockListener.class);
              assertThat(context.getBean(MicrometerLockListener.class)).isSameAs(own);
              assertThat(context).doesNotHaveBean("mongoLockMicrometerListener");
            });
  }

  @Test
  void anApplicationsOtherListenersDoNotReplaceTheMetrics() {
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean("auditLog", LockListener.class, () -> new LockListener() {})
        .run(
            context -> {
              assertThat(context).hasSingleBean(MicrometerLockListener.class);
              assertThat(context.getBeansOfType(LockListener.class)).hasSize(2);
            });
  }

  @Test
  void theApplicationsConventionsAreUsed() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    runner
        .withBean(MeterRegistry.class, () -> meters)
        .withBean(
            LockAcquireObservationConvention.class,
            () ->
                new DefaultLockAcquireObservationConvention() {
                  @Override
                  public String getName() {
                    return "app.lock.wait";
                  }
                })
        .withBean(
            LockHeldObservationConvention.class,
            () ->
                new DefaultLockHeldObservationConvention() {
                  @Override
                  public String getName() {
                    return "app.lock.section";
                  }
                })
        .run(
            context -> {
              acquireAndRelease(context, "order-1");
              assertThat(meters.get("app.lock.wait").timer().count()).isEqualTo(1);
              assertThat(meters.get("app.lock.section").timer().count()).isEqualTo(1);
              assertThat(meters.find("mongo.lock.acquire").timer()).isNull();
            });
  }
}
