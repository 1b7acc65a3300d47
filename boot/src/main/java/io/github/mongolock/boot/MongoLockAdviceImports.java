package io.github.mongolock.boot;

import io.github.mongolock.aspect.internal.MongoLocksInfrastructure;
import java.util.Arrays;
import java.util.stream.Stream;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionBuilder;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.AdviceMode;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.ImportSelector;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Imports the aspect module's advice infrastructure (the very classes {@code @EnableMongoLocks}
 * imports) with the mode and order of {@code mongo-lock.aop.*}. They are read from the Environment
 * here, while configuration classes are parsed, because the mode decides which classes to import.
 */
final class MongoLockAdviceImports implements ImportSelector, EnvironmentAware {

  private Environment environment;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public String[] selectImports(AnnotationMetadata importingClassMetadata) {
    AdviceMode mode = aop(environment).getMode();
    return Stream.concat(
            Arrays.stream(MongoLocksInfrastructure.adviceConfigurations(mode)),
            Stream.of(Registrar.class.getName()))
        .toArray(String[]::new);
  }

  /** Binds {@code mongo-lock.aop}; a bad value fails naming the property (Boot's BindException). */
  static MongoLockProperties.Aop aop(Environment environment) {
    return Binder.get(environment)
        .bind("mongo-lock.aop", MongoLockProperties.Aop.class)
        .orElseGet(MongoLockProperties.Aop::new);
  }

  /**
   * Registers the advice settings and, in proxy mode, the auto-proxy creator that {@code
   * AutoProxyRegistrar} registers for {@code @EnableMongoLocks}. It makes class proxies unless
   * {@code spring.aop.proxy-target-class=false}, as Boot's own AOP auto-configuration does, so that
   * a locked method need not be declared on an interface.
   */
  static final class Registrar implements ImportBeanDefinitionRegistrar, EnvironmentAware {

    static final String SETTINGS_BEAN_NAME = "mongoLockAdviceSettings";

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
      this.environment = environment;
    }

    @Override
    public void registerBeanDefinitions(
        AnnotationMetadata importingClassMetadata, BeanDefinitionRegistry registry) {
      MongoLockProperties.Aop aop = aop(environment);
      MongoLocksInfrastructure.AdviceSettings settings =
          new MongoLocksInfrastructure.AdviceSettings(aop.getMode(), aop.getOrder());
      if (!registry.containsBeanDefinition(SETTINGS_BEAN_NAME)) {
        BeanDefinition definition =
            BeanDefinitionBuilder.genericBeanDefinition(
                    MongoLocksInfrastructure.AdviceSettings.class, () -> settings)
                .setRole(BeanDefinition.ROLE_INFRASTRUCTURE)
                .getBeanDefinition();
        registry.registerBeanDefinition(SETTINGS_BEAN_NAME, definition);
      }
      if (aop.getMode() == AdviceMode.PROXY) {
        AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
        if (environment.getProperty("spring.aop.proxy-target-class", Boolean.class, true)) {
          AopConfigUtils.forceAutoProxyCreatorToUseClassProxying(registry);
        }
      }
    }
  }
}
