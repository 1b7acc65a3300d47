package io.github.mongolock.boot.actuate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoDatabase;
import io.github.mongolock.aspect.MongoLocks;
import io.github.mongolock.testkit.MongoExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** When the endpoint is there and when it is not. */
@ExtendWith(MongoExtension.class)
class MongoLockEndpointAutoConfigurationTest {

  private ApplicationContextRunner runner;

  @BeforeEach
  void runner(MongoDatabase database) {
    MongoLocks locks =
        new MongoLocks(database.getCollection("locks"), () -> "client-a", Duration.ofSeconds(2));
    runner =
        BootContexts.runner()
            .withConfiguration(AutoConfigurations.of(MongoLockEndpointAutoConfiguration.class))
            .withBean(MongoLocks.class, () -> locks);
  }

  @Test
  void isRegisteredInTheAutoConfigurationImports() {
    List<String> candidates = new java.util.ArrayList<>();
    ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader())
        .forEach(candidates::add);
    assertTrue(
        candidates.contains(MongoLockEndpointAutoConfiguration.class.getName()),
        () -> "not in AutoConfiguration.imports: " + candidates);
  }

  @Test
  void anExposedEndpointIsABean() {
    runner
        .withPropertyValues("management.endpoints.web.exposure.include=mongolocks")
        .run(
            context -> {
              assertNull(context.getStartupFailure());
              assertEquals(1, context.getBeansOfType(MongoLocksEndpoint.class).size());
              assertEquals(
                  "client-a", context.getBean(MongoLocksEndpoint.class).overview().clientId());
            });
  }

  @Test
  void noEndpointWithoutActuatorOnTheClassPath() {
    runner
        .withClassLoader(new FilteredClassLoader(Endpoint.class))
        .withPropertyValues("management.endpoints.web.exposure.include=mongolocks")
        .run(
            context -> {
              assertNull(context.getStartupFailure());
              assertEquals(0, context.getBeanNamesForType(MongoLocksEndpoint.class).length);
              assertEquals(1, context.getBeansOfType(MongoLocks.class).size());
            });
  }

  @Test
  void noEndpointWhenNotExposed() {
    // Boot exposes only health over the web by default, and JMX is off by default.
    runner.run(
        context -> {
          assertNull(context.getStartupFailure());
          assertEquals(0, context.getBeanNamesForType(MongoLocksEndpoint.class).length);
        });
  }

  @Test
  void noEndpointWhenItsAccessIsNone() {
    runner
        .withPropertyValues(
            "management.endpoints.web.exposure.include=mongolocks",
            "management.endpoint.mongolocks.access=none")
        .run(
            context ->
                assertEquals(0, context.getBeanNamesForType(MongoLocksEndpoint.class).length));
  }

  @Test
  void noEndpointWithoutMongoLocks() {
    BootContexts.runner()
        .withConfiguration(AutoConfigurations.of(MongoLockEndpointAutoConfiguration.class))
        .withPropertyValues("management.endpoints.web.exposure.include=mongolocks")
        .run(
            context -> {
              assertNull(context.getStartupFailure());
              assertEquals(0, context.getBeanNamesForType(MongoLocksEndpoint.class).length);
            });
  }

  @Test
  void backsOffForTheApplicationsOwnEndpoint(MongoDatabase database) {
    MongoLocksEndpoint own =
        new MongoLocksEndpoint(
            new MongoLocks(database.getCollection("own"), () -> "own", Duration.ofSeconds(1)));
    runner
        .withBean("myEndpoint", MongoLocksEndpoint.class, () -> own)
        .withPropertyValues("management.endpoints.web.exposure.include=mongolocks")
        .run(
            context -> {
              assertEquals(1, context.getBeansOfType(MongoLocksEndpoint.class).size());
              assertSame(own, context.getBean(MongoLocksEndpoint.class));
            });
  }
}
