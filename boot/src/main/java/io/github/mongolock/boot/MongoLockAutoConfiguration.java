package io.github.mongolock.boot;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.LockListener;
import io.github.mongolock.LockRuntime;
import io.github.mongolock.RWMutex;
import io.github.mongolock.aspect.ClientIdProvider;
import io.github.mongolock.aspect.MongoLocks;
import io.github.mongolock.aspect.internal.MongoLocksInfrastructure;
import org.bson.Document;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.env.Environment;
import org.springframework.data.mongodb.MongoDatabaseFactory;
import org.springframework.util.ClassUtils;

/**
 * Auto-configuration of mongo-lock: {@code @WriteLocked} and {@code @ReadLocked} methods, and a
 * {@link MongoLocks} bean, on the application's MongoDB, configured by {@code mongo-lock.*} ({@link
 * MongoLockProperties}).
 *
 * <p>Active when core and the MongoDB driver are on the class path, unless {@code
 * mongo-lock.enabled=false}; it runs after Boot's MongoDB auto-configurations (Boot 3.5's and 4.0's
 * class names both listed). It backs off entirely when the application uses {@code
 * EnableMongoLocks}. An application's own {@link MongoLocks} bean replaces this one's (with its
 * runtime, client ID and settings), and the annotations lock through it; every other bean here
 * gives way to one of the application's of its type too.
 *
 * <p>The {@link MongoLocks} bean is made when first needed: an application with the starter on its
 * class path but no MongoDB and nothing to lock starts. One with locked methods, or that injects
 * {@code MongoLocks}, and no MongoDB to lock on fails the startup, never runs them unlocked.
 */
@AutoConfiguration(
    afterName = {
      // Boot 3.5
      "org.springframework.boot.autoconfigure.mongo.MongoAutoConfiguration",
      "org.springframework.boot.autoconfigure.data.mongo.MongoDataAutoConfiguration",
      // Boot 4.0 (spring-boot-mongodb, spring-boot-data-mongodb)
      "org.springframework.boot.mongodb.autoconfigure.MongoAutoConfiguration",
      "org.springframework.boot.data.mongodb.autoconfigure.DataMongoAutoConfiguration"
    })
@ConditionalOnClass(
    value = {RWMutex.class, MongoLocks.class},
    name = "com.mongodb.client.MongoClient")
@ConditionalOnProperty(prefix = "mongo-lock", name = "enabled", matchIfMissing = true)
// @EnableMongoLocks defines the advice settings: the application configures locks itself.
@ConditionalOnMissingBean(MongoLocksInfrastructure.AdviceSettings.class)
@EnableConfigurationProperties(MongoLockProperties.class)
@Import(MongoLockAdviceImports.class)
public class MongoLockAutoConfiguration {

  /** Created by Spring Boot. */
  public MongoLockAutoConfiguration() {}

  /** The locks, unless the application defines its own {@link MongoLocks}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingBean(MongoLocks.class)
  static class LocksConfiguration {

    /** Checked at startup, so that a bad property fails it even before a lock is needed. */
    @Bean
    @ConditionalOnMissingBean
    MongoLockSettings mongoLockSettings(MongoLockProperties properties) {
      return MongoLockSettings.of(properties);
    }

    @Bean
    @ConditionalOnMissingBean
    ClientIdProvider mongoLockClientIdProvider(MongoLockSettings settings) {
      return settings.clientIdProvider();
    }

    /** The context's own runtime: closing the context gives up its holds and stops its threads. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    LockRuntime mongoLockRuntime(ObjectProvider<LockListener> listeners) {
      return MongoLocksInfrastructure.newRuntime(listeners);
    }

    @Bean
    @Lazy
    @ConditionalOnMissingBean
    MongoLocks mongoLocks(
        MongoLockSettings settings,
        LockRuntime mongoLockRuntime,
        ClientIdProvider clientIds,
        ListableBeanFactory beans,
        Environment environment,
        ObjectProvider<MongoClient> clients,
        ObjectProvider<MongoDatabase> databases,
        ObjectProvider<LockCollectionResolver.SpringDataDatabases> springData) {
      LockCollectionResolver collections =
          new LockCollectionResolver(beans, environment, clients, databases, springData);
      MongoCollection<Document> collection =
          collections.resolve(settings.collection(), settings.database());
      MongoLocksInfrastructure.closeRuntimesBeforeMongoBeans(beans, springDataTypes());
      return new MongoLocks(
          mongoLockRuntime, collection, clientIds, settings.waitTimeout(), settings.options());
    }
  }

  /** Spring Data's database factory type, where Spring Data MongoDB is on the class path. */
  private static Class<?>[] springDataTypes() {
    return ClassUtils.isPresent(
            SPRING_DATA_FACTORY, MongoLockAutoConfiguration.class.getClassLoader())
        ? new Class<?>[] {MongoDatabaseFactory.class}
        : new Class<?>[0];
  }

  private static final String SPRING_DATA_FACTORY =
      "org.springframework.data.mongodb.MongoDatabaseFactory";

  /** Spring Data's database factory, where Spring Data MongoDB is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = SPRING_DATA_FACTORY)
  static class SpringDataConfiguration {

    @Bean
    @ConditionalOnMissingBean
    LockCollectionResolver.SpringDataDatabases mongoLockSpringDataDatabases(
        ObjectProvider<MongoDatabaseFactory> factories, ListableBeanFactory beans) {
      return new LockCollectionResolver.SpringDataDatabases() {
        @Override
        public MongoDatabase database(String name) {
          MongoDatabaseFactory factory = factories.getIfUnique();
          if (factory == null) {
            return null;
          }
          return name == null ? factory.getMongoDatabase() : factory.getMongoDatabase(name);
        }

        @Override
        public int count() {
          return beans.getBeanNamesForType(MongoDatabaseFactory.class).length;
        }
      };
    }
  }
}
