package io.github.mongolock.boot.actuate;

import io.github.mongolock.aspect.MongoLocks;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Registers the {@link MongoLocksEndpoint} when Boot's actuator is on the class path, the endpoint
 * is available (its access is not {@code none} and it is exposed over web or JMX, as for Boot's own
 * endpoints) and the application has a {@link MongoLocks} (from the mongo-lock auto-configuration,
 * which this one runs after, or from {@code @EnableMongoLocks}).
 *
 * <p>Only APIs that sit in the same packages in Boot 3.5 and 4.0 are used, so one jar serves both.
 */
@AutoConfiguration(afterName = "io.github.mongolock.boot.MongoLockAutoConfiguration")
@ConditionalOnClass(Endpoint.class)
public class MongoLockEndpointAutoConfiguration {

  /**
   * The endpoint.
   *
   * @param locks the application's locks
   * @return the endpoint
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBean(MongoLocks.class)
  @ConditionalOnAvailableEndpoint(MongoLocksEndpoint.class)
  public MongoLocksEndpoint mongoLocksEndpoint(MongoLocks locks) {
    return new MongoLocksEndpoint(locks);
  }
}
