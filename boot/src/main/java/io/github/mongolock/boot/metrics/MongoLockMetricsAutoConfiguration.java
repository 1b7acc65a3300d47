package io.github.mongolock.boot.metrics;

import io.github.mongolock.boot.MongoLockProperties;
import io.github.mongolock.micrometer.LockAcquireObservationConvention;
import io.github.mongolock.micrometer.LockHeldObservationConvention;
import io.github.mongolock.micrometer.MicrometerLockListener;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.observation.ObservationRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Metrics and traces of the application's locks: a {@link MicrometerLockListener} bean, which the
 * mongo-lock auto-configuration registers on its {@link io.github.mongolock.LockRuntime} with the
 * application's other {@link io.github.mongolock.LockListener} beans.
 *
 * <p>Active when Micrometer and {@code mongo-lock-micrometer} are on the class path and the context
 * has a {@link MeterRegistry} or an {@link ObservationRegistry} (Spring Boot's actuator defines
 * both), unless {@code mongo-lock.enabled=false}. Its observations go to the {@link
 * ObservationRegistry}, whose meter handler makes the timers; without one, to a registry of the
 * listener's own that makes the timers in the {@link MeterRegistry} ({@link
 * MicrometerLockListener#metricsOnly(MeterRegistry)}). A {@link LockAcquireObservationConvention}
 * or {@link LockHeldObservationConvention} bean replaces the default convention; a {@link
 * MicrometerLockListener} bean of the application replaces this one.
 *
 * <p>Ordered after Boot's metrics and observation auto-configurations, which define the registries:
 * named as strings, since they moved from {@code org.springframework.boot.actuate.autoconfigure}
 * (Boot 3.5) to {@code org.springframework.boot.micrometer} (Boot 4.0).
 */
@AutoConfiguration(
    afterName = {
      // Boot 3.5 (spring-boot-actuator-autoconfigure)
      "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration",
      // Boot 4.0 (spring-boot-micrometer-metrics, spring-boot-micrometer-observation)
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
      "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"
    })
@ConditionalOnClass({MeterRegistry.class, ObservationRegistry.class, MicrometerLockListener.class})
@ConditionalOnProperty(prefix = "mongo-lock", name = "enabled", matchIfMissing = true)
@Conditional(MongoLockMetricsAutoConfiguration.OnMeterOrObservationRegistry.class)
@EnableConfigurationProperties(MongoLockProperties.class)
public class MongoLockMetricsAutoConfiguration {

  private static final Logger log =
      LoggerFactory.getLogger(MongoLockMetricsAutoConfiguration.class);

  /** Created by Spring. */
  public MongoLockMetricsAutoConfiguration() {}

  /**
   * The listener that reports the locks to Micrometer.
   *
   * @param observations the application's observation registry, if it has one
   * @param meters the application's meter registry, if it has one
   * @param acquireConvention the application's acquire convention, if it has one
   * @param heldConvention the application's hold convention, if it has one
   * @return the listener
   */
  @Bean
  @ConditionalOnMissingBean
  public MicrometerLockListener mongoLockMicrometerListener(
      ObjectProvider<ObservationRegistry> observations,
      ObjectProvider<MeterRegistry> meters,
      ObjectProvider<LockAcquireObservationConvention> acquireConvention,
      ObjectProvider<LockHeldObservationConvention> heldConvention) {
    ObservationRegistry observationRegistry = observations.getIfAvailable();
    MeterRegistry meterRegistry = meters.getIfAvailable();
    MicrometerLockListener listener;
    if (observationRegistry == null) {
      listener = MicrometerLockListener.metricsOnly(meterRegistry);
    } else {
      // an empty composite counts nothing: the application chose traces without metrics
      listener =
          new MicrometerLockListener(
              observationRegistry,
              meterRegistry != null ? meterRegistry : new CompositeMeterRegistry());
    }
    return listener
        .withAcquireConvention(acquireConvention.getIfAvailable())
        .withHeldConvention(heldConvention.getIfAvailable());
  }

  /**
   * Caps the distinct {@code lock.name} values of the {@code mongo.lock} meters at {@code
   * mongo-lock.metrics.max-lock-names}, as Boot caps URI tags: a lock without a name is named by
   * its ID, and IDs that carry data ({@code order-4711}) would otherwise make a meter per lock.
   * Meters of further names are not registered; the first one denied is logged at WARN. Boot
   * applies {@link MeterFilter} beans to the registries it configures.
   *
   * @param properties {@code mongo-lock.*}
   * @return the filter
   */
  @Bean
  @ConditionalOnMissingBean(name = "mongoLockNameMeterFilter")
  public MeterFilter mongoLockNameMeterFilter(MongoLockProperties properties) {
    int max = properties.getMetrics().getMaxLockNames();
    if (max < 1) {
      throw new IllegalArgumentException(
          "mongo-lock.metrics.max-lock-names must be at least 1, got " + max);
    }
    AtomicBoolean warned = new AtomicBoolean();
    MeterFilter deny =
        new MeterFilter() {
          @Override
          public MeterFilterReply accept(Meter.Id id) {
            if (warned.compareAndSet(false, true)) {
              log.warn(
                  "mongo-lock: the lock meters reached {} lock names (mongo-lock.metrics"
                      + ".max-lock-names); meters of further names, such as {} {}, are not"
                      + " registered. Name locks whose IDs carry data (RWMutexOptions.name,"
                      + " MongoLocks.named) or raise the limit.",
                  max,
                  id.getName(),
                  id.getTag("lock.name"));
            }
            return MeterFilterReply.DENY;
          }
        };
    return MeterFilter.maximumAllowableTags("mongo.lock", "lock.name", max, deny);
  }

  /** A {@link MeterRegistry} bean or an {@link ObservationRegistry} bean, either will do. */
  static final class OnMeterOrObservationRegistry extends AnyNestedCondition {

    OnMeterOrObservationRegistry() {
      super(ConfigurationPhase.REGISTER_BEAN);
    }

    @ConditionalOnBean(MeterRegistry.class)
    static final class MeterRegistryBean {}

    @ConditionalOnBean(ObservationRegistry.class)
    static final class ObservationRegistryBean {}
  }
}
