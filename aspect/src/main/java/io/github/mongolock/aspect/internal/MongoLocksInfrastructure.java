package io.github.mongolock.aspect.internal;

import io.github.mongolock.LockListener;
import io.github.mongolock.LockRuntime;
import org.springframework.beans.factory.ObjectProvider;
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
}
