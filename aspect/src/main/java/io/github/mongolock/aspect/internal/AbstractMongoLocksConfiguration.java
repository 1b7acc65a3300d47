package io.github.mongolock.aspect.internal;

import io.github.mongolock.aspect.MongoLocks;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.core.env.Environment;
import org.springframework.util.function.SingletonSupplier;

/**
 * Internal, not an API: the advice infrastructure of both advice modes, for {@code
 * EnableMongoLocks} and the Spring Boot auto-configuration alike. Its settings come from the
 * context's {@link MongoLocksInfrastructure.AdviceSettings} bean and its locks from the context's
 * {@link MongoLocks} bean, which the importer defines. Infrastructure beans needed by the
 * BeanPostProcessor depend only on the Environment, the BeanFactory and the settings; the MongoDB
 * beans are reached lazily, on first call or at the end of the startup.
 */
@Configuration(proxyBeanMethods = false)
@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
abstract class AbstractMongoLocksConfiguration implements EnvironmentAware {

  private Environment environment;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  LockedMethods mongoLockedMethods(BeanFactory beanFactory) {
    return new LockedMethods(environment, new BeanFactoryResolver(beanFactory));
  }

  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  LockedMethodInvoker mongoLockedMethodInvoker(
      LockedMethods mongoLockedMethods, ObjectProvider<MongoLocks> mongoLocks) {
    return new LockedMethodInvoker(mongoLockedMethods, SingletonSupplier.of(mongoLocks::getObject));
  }

  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  LockedBeansValidator mongoLockedBeansValidator(
      LockedMethods mongoLockedMethods, MongoLocksInfrastructure.AdviceSettings settings) {
    return new LockedBeansValidator(mongoLockedMethods, settings.mode());
  }

  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  LockedMethodsStartupCheck mongoLockedMethodsStartupCheck(
      LockedBeansValidator mongoLockedBeansValidator,
      LockedMethodInvoker mongoLockedMethodInvoker) {
    return new LockedMethodsStartupCheck(mongoLockedBeansValidator, mongoLockedMethodInvoker);
  }
}
