package io.github.mongolock.aspect;

import org.springframework.context.annotation.AdviceMode;
import org.springframework.context.annotation.AdviceModeImportSelector;
import org.springframework.context.annotation.AutoProxyRegistrar;

/** Picks the configuration for {@link EnableMongoLocks#mode()}. */
final class MongoLocksConfigurationSelector extends AdviceModeImportSelector<EnableMongoLocks> {

  @Override
  protected String[] selectImports(AdviceMode mode) {
    return switch (mode) {
      // AutoProxyRegistrar reads mode and proxyTargetClass from @EnableMongoLocks and registers
      // the same auto-proxy creator @EnableTransactionManagement uses: one proxy, ordered advice.
      case PROXY ->
          new String[] {
            AutoProxyRegistrar.class.getName(), ProxyMongoLocksConfiguration.class.getName()
          };
      case ASPECTJ -> new String[] {AspectJMongoLocksConfiguration.class.getName()};
    };
  }
}
