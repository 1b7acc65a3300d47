package io.github.mongolock.boot.actuate;

import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Test contexts that read properties as a Boot application does. */
final class BootContexts {

  private BootContexts() {}

  /**
   * A runner whose environment converts as {@code SpringApplication}'s does, so that {@code
   * access=unrestricted} is read as in an application (the plain runner knows only {@code
   * UNRESTRICTED}).
   */
  static ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withInitializer(
            context ->
                context.getEnvironment().setConversionService(new ApplicationConversionService()));
  }
}
