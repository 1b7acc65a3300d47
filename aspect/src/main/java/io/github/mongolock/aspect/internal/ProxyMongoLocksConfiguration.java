package io.github.mongolock.aspect.internal;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;

/**
 * Internal, not an API: proxy mode, an infrastructure advisor picked up by the auto-proxy creator.
 */
@Configuration(proxyBeanMethods = false)
@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
class ProxyMongoLocksConfiguration extends AbstractMongoLocksConfiguration {

  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  MongoLockAdvisor mongoLockAdvisor(
      LockedMethodInvoker mongoLockedMethodInvoker,
      MongoLocksInfrastructure.AdviceSettings settings) {
    return new MongoLockAdvisor(
        new MongoLockInterceptor(mongoLockedMethodInvoker), settings.order());
  }
}
