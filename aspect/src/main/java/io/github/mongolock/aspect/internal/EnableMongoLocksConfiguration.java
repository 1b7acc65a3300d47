package io.github.mongolock.aspect.internal;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.LockListener;
import io.github.mongolock.LockRuntime;
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
import org.springframework.context.annotation.AdviceMode;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.ImportAware;
import org.springframework.context.annotation.Role;
import org.springframework.core.annotation.AnnotationAttributes;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Internal, not an API: what {@link EnableMongoLocks} adds to the advice infrastructure, from its
 * attributes: the advice settings, the context's own {@link LockRuntime} and the {@link MongoLocks}
 * bean.
 */
@Configuration(proxyBeanMethods = false)
class EnableMongoLocksConfiguration implements ImportAware, EnvironmentAware {

  private AnnotationAttributes enableMongoLocks;
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
  MongoLocksInfrastructure.AdviceSettings mongoLockAdviceSettings() {
    return new MongoLocksInfrastructure.AdviceSettings(
        enableMongoLocks.<AdviceMode>getEnum("mode"), enableMongoLocks.<Integer>getNumber("order"));
  }

  /** Closed with the context: its holds still open are given up and its threads stop. */
  @Bean(destroyMethod = "close")
  LockRuntime mongoLockRuntime(ObjectProvider<LockListener> listeners) {
    return MongoLocksInfrastructure.newRuntime(listeners);
  }

  @Bean
  MongoLocks mongoLocks(
      LockRuntime mongoLockRuntime,
      BeanFactory beanFactory,
      ObjectProvider<MongoDatabase> databases,
      ObjectProvider<ClientIdProvider> clientIds) {
    MongoCollection<Document> collection = lockCollection(beanFactory, databases);
    MongoLocksInfrastructure.closeRuntimesBeforeMongoBeans(beanFactory);
    return new MongoLocks(
        mongoLockRuntime,
        collection,
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
