package io.github.mongolock.aspect.internal;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.LockListener;
import io.github.mongolock.LockRuntime;
import io.github.mongolock.aspect.EnableMongoLocks;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.AdviceMode;

/**
 * Internal, not an API: how a configuration other than {@code @EnableMongoLocks} (the Spring Boot
 * auto-configuration) sets up the same advice infrastructure. It imports {@link
 * #adviceConfigurations(AdviceMode)}, defines one {@link AdviceSettings} bean and one {@code
 * MongoLocks} bean, and in proxy mode registers an auto-proxy creator; the infrastructure then
 * checks and advises locked methods exactly as {@code @EnableMongoLocks} does.
 */
public final class MongoLocksInfrastructure {

  private MongoLocksInfrastructure() {}

  /**
   * How locked methods are advised.
   *
   * @param mode proxies or the woven {@code MongoLockAspect}
   * @param order the proxy advisor's order (not used by the woven aspect, which takes precedence)
   */
  public record AdviceSettings(AdviceMode mode, int order) {
    /** Refuses a null mode. */
    public AdviceSettings {
      if (mode == null) {
        throw new IllegalArgumentException("advice mode is null");
      }
    }
  }

  /**
   * The configuration classes to import for {@code mode}: the shared infrastructure beans plus the
   * advisor (proxy mode) or the aspect's configuration (AspectJ mode). Proxy mode also needs an
   * auto-proxy creator, which the importer registers in its own way.
   *
   * @param mode the advice mode
   * @return class names for an {@code ImportSelector}
   */
  public static String[] adviceConfigurations(AdviceMode mode) {
    return switch (mode) {
      case PROXY -> new String[] {ProxyMongoLocksConfiguration.class.getName()};
      case ASPECTJ -> new String[] {AspectJMongoLocksConfiguration.class.getName()};
    };
  }

  /**
   * A runtime for one application context, telling every {@link LockListener} bean (in their order)
   * what its mutexes do. The caller closes it with the context.
   *
   * @param listeners the context's listener beans
   * @return the new runtime
   */
  public static LockRuntime newRuntime(ObjectProvider<LockListener> listeners) {
    LockRuntime runtime = LockRuntime.create();
    listeners.orderedStream().forEach(runtime::addListener);
    return runtime;
  }

  /**
   * Has the context close its {@link LockRuntime} beans before the MongoDB beans that locks may
   * use: {@code MongoClient}, {@code MongoDatabase}, the {@value
   * EnableMongoLocks#COLLECTION_BEAN_NAME} bean and the beans of {@code moreTypes}. Closing a
   * runtime releases the holds still open, which needs their client open. {@code MongoLocks}
   * reaches MongoDB through an {@code ObjectProvider}, which records no dependency, so a client
   * made while it is (after the runtime, which it takes as an argument) would otherwise be closed
   * first: the releases would fail on it and the locks stay held in MongoDB until their leases ran
   * out.
   *
   * @param beanFactory the context's bean factory; nothing is done unless it is configurable
   * @param moreTypes other types of MongoDB beans (Spring Data's {@code MongoDatabaseFactory})
   */
  public static void closeRuntimesBeforeMongoBeans(BeanFactory beanFactory, Class<?>... moreTypes) {
    if (!(beanFactory instanceof ConfigurableListableBeanFactory beans)) {
      return;
    }
    List<String> mongoBeans = new ArrayList<>();
    List<Class<?>> types = new ArrayList<>(List.of(MongoClient.class, MongoDatabase.class));
    types.addAll(List.of(moreTypes));
    for (Class<?> type : types) {
      // no eager init: only the names, without making factory beans to learn their types
      mongoBeans.addAll(List.of(beans.getBeanNamesForType(type, true, false)));
    }
    if (beans.containsBean(EnableMongoLocks.COLLECTION_BEAN_NAME)) {
      mongoBeans.add(EnableMongoLocks.COLLECTION_BEAN_NAME);
    }
    for (String runtime : beans.getBeanNamesForType(LockRuntime.class, true, false)) {
      for (String mongo : mongoBeans) {
        // destroying the MongoDB bean destroys its dependents first: the runtime
        beans.registerDependentBean(mongo, runtime);
      }
    }
  }
}
