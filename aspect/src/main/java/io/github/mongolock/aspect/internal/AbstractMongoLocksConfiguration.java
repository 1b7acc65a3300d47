package io.github.mongolock.aspect.internal;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.aspect.ClientIdProvider;
import io.github.mongolock.aspect.EnableMongoLocks;
import io.github.mongolock.aspect.MongoLocks;
import java.time.Duration;
import org.bson.Document;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.ImportAware;
import org.springframework.context.annotation.Role;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.core.annotation.AnnotationAttributes;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.util.function.SingletonSupplier;

/**
 * Internal, not an API: the beans {@link EnableMongoLocks} registers in both advice modes.
 * Infrastructure beans needed by the BeanPostProcessor depend only on the Environment and the
 * BeanFactory; the MongoDB beans are reached lazily on first call.
 */
@Configuration(proxyBeanMethods = false)
@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
abstract class AbstractMongoLocksConfiguration implements ImportAware, EnvironmentAware {

  protected AnnotationAttributes enableMongoLocks;
  private Environment environment;

  @Override
  public void setImportMetadata(AnnotationMetadata importMetadata) {
    enableMongoLocks =
        AnnotationAttributes.fromMap(
            importMetadata.getAnnotationAttributes(EnableMongoLocks.class.getName()));
    if (enableMongoLocks == null) {
      throw new IllegalArgumentException(
          "@EnableMongoLocks is not present on importing class " + importMetadata.getClassName());
    }
  }

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
  LockedBeansValidator mongoLockedBeansValidator(LockedMethods mongoLockedMethods) {
    return new LockedBeansValidator(mongoLockedMethods, enableMongoLocks.getEnum("mode"));
  }

  @Bean
  MongoLocks mongoLocks(
      BeanFactory beanFactory,
      ObjectProvider<MongoDatabase> databases,
      ObjectProvider<ClientIdProvider> clientIds) {
    return new MongoLocks(
        lockCollection(beanFactory, databases),
        clientIds.getIfAvailable(ClientIdProvider::perProcess),
        LockedMethods.parseTimeout(environment, enableMongoLocks.getString("waitTimeout")),
        RWMutexOptions.builder().leaseTime(defaultLeaseTime()).build());
  }

  private Duration defaultLeaseTime() {
    try {
      return LockedMethods.parseLeaseTime(environment, enableMongoLocks.getString("leaseTime"));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("@EnableMongoLocks: " + e.getMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private MongoCollection<Document> lockCollection(
      BeanFactory beanFactory, ObjectProvider<MongoDatabase> databases) {
    if (beanFactory.containsBean(EnableMongoLocks.COLLECTION_BEAN_NAME)) {
      return beanFactory.getBean(EnableMongoLocks.COLLECTION_BEAN_NAME, MongoCollection.class);
    }
    String collection =
        environment.resolveRequiredPlaceholders(enableMongoLocks.getString("collection"));
    MongoDatabase database;
    try {
      database = databases.getObject();
    } catch (NoSuchBeanDefinitionException e) {
      throw new IllegalStateException(
          "@EnableMongoLocks needs a MongoCollection<Document> bean named \""
              + EnableMongoLocks.COLLECTION_BEAN_NAME
              + "\" or a single MongoDatabase bean (to use its collection \""
              + collection
              + "\"): "
              + e.getMessage(),
          e);
    }
    return database.getCollection(collection);
  }
}
