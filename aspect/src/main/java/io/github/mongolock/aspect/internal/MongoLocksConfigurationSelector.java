package io.github.mongolock.aspect.internal;

import io.github.mongolock.aspect.EnableMongoLocks;
import org.springframework.context.annotation.AdviceMode;
import org.springframework.context.annotation.AdviceModeImportSelector;
import org.springframework.context.annotation.AutoProxyRegistrar;

/**
 * Internal, not an API: picks the configuration for {@link EnableMongoLocks#mode()}. Public only
 * because {@code @EnableMongoLocks} imports it.
 */
public final class MongoLocksConfigurationSelector
    extends AdviceModeImportSelector<EnableMongoLocks> {

  /** Created by Spring when it processes {@code @EnableMongoLocks}. */
  public MongoLocksConfigurationSelector() {}

  @Override
  protected String[] selectImports(AdviceMode mode) {
    String enable = EnableMongoLocksConfiguration.class.getName();
    return switch (mode) {
      // AutoProxyRegistrar reads mode and proxyTargetClass from @EnableMongoLocks and registers
      // the same auto-proxy creator @EnableTransactionManagement uses: one proxy, ordered advice.
      case PROXY ->
          new String[] {
            AutoProxyRegistrar.class.getName(), ProxyMongoLocksConfiguration.class.getName(), enable
          };
      case ASPECTJ -> new String[] {AspectJMongoLocksConfiguration.class.getName(), enable};
    };
  }
}
