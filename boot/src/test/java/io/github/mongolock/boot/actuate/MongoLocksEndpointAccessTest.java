package io.github.mongolock.boot.actuate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.LockLostException;
import io.github.mongolock.RWMutex;
import io.github.mongolock.aspect.MongoLocks;
import io.github.mongolock.testkit.MongoExtension;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.jmx.JmxEndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.OperationType;
import org.springframework.boot.actuate.endpoint.jmx.ExposableJmxEndpoint;
import org.springframework.boot.actuate.endpoint.jmx.JmxEndpointsSupplier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jmx.JmxAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Which operations Boot exposes, through Boot's own endpoint machinery over JMX (the operation
 * filter by access is the same for every technology, web included): read-only by default, the
 * forced release only with {@code access=unrestricted}.
 */
@ExtendWith(MongoExtension.class)
class MongoLocksEndpointAccessTest {

  private static final AtomicInteger DOMAINS = new AtomicInteger();
  private static final MBeanServer MBEANS = ManagementFactory.getPlatformMBeanServer();

  private MongoCollection<Document> collection;
  private ApplicationContextRunner runner;
  private String domain;

  @BeforeEach
  void setUp(MongoDatabase database) {
    collection = database.getCollection("locks");
    MongoLocks locks = new MongoLocks(collection, () -> "app-1", Duration.ofSeconds(1));
    // a domain of its own per context: nothing left in the platform MBean server collides
    domain = "mongolock.test" + DOMAINS.incrementAndGet();
    runner =
        BootContexts.runner()
            .withConfiguration(
                AutoConfigurations.of(
                    JmxAutoConfiguration.class,
                    EndpointAutoConfiguration.class,
                    JmxEndpointAutoConfiguration.class,
                    MongoLockEndpointAutoConfiguration.class))
            .withBean(MongoLocks.class, () -> locks)
            .withPropertyValues(
                "spring.jmx.enabled=true",
                "management.endpoints.jmx.exposure.include=mongolocks",
                "management.endpoints.jmx.domain=" + domain);
  }

  @Test
  void readOnlyByDefault() {
    runner.run(
        context -> {
          assertNull(context.getStartupFailure());
          assertEquals(
              Set.of(OperationType.READ),
              operationTypes(context.getBean(JmxEndpointsSupplier.class)));
          assertEquals(Set.of("lock", "overview"), mbeanOperations());
        });
  }

  @Test
  void readOnlyWhenSetSoEvenIfEveryEndpointIsUnrestricted() {
    runner
        .withPropertyValues(
            "management.endpoints.access.default=unrestricted",
            "management.endpoint.mongolocks.access=read-only")
        .run(context -> assertEquals(Set.of("lock", "overview"), mbeanOperations()));
  }

  @Test
  void theForcedReleaseOnlyWhenUnrestricted() throws Exception {
    RWMutex stuck = new RWMutex(collection, "nightly", "stuck-node");
    stuck.lock();
    try {
      runner
          .withPropertyValues("management.endpoint.mongolocks.access=unrestricted")
          .run(
              context -> {
                assertNull(context.getStartupFailure());
                assertEquals(
                    Set.of(OperationType.READ, OperationType.DELETE),
                    operationTypes(context.getBean(JmxEndpointsSupplier.class)));
                assertEquals(Set.of("lock", "overview", "release"), mbeanOperations());

                Object answer =
                    MBEANS.invoke(
                        endpointName(),
                        "release",
                        new Object[] {"nightly", null},
                        new String[] {String.class.getName(), String.class.getName()});
                assertNotNull(answer);
                assertTrue(answer.toString().contains("stuck-node"), answer::toString);
                RWMutex next = new RWMutex(collection, "nightly", "next-node");
                assertTrue(next.tryLock(Duration.ofSeconds(2)), "free after the JMX release");
                next.unlock();
                // the stuck holder learns that its hold is gone when it lets go
                assertThrows(LockLostException.class, stuck::unlock);
              });
    } finally {
      if (stuck.isWriteLockedByCurrentThread()) {
        stuck.unlock(); // the test failed before the release
      }
    }
  }

  private static Set<OperationType> operationTypes(JmxEndpointsSupplier endpoints) {
    ExposableJmxEndpoint endpoint =
        endpoints.getEndpoints().stream()
            .filter(e -> e.getEndpointId().toString().equals("mongolocks"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no mongolocks endpoint over JMX"));
    return endpoint.getOperations().stream()
        .map(operation -> operation.getType())
        .collect(Collectors.toSet());
  }

  private ObjectName endpointName() throws Exception {
    Set<ObjectName> names = MBEANS.queryNames(new ObjectName(domain + ":type=Endpoint,*"), null);
    assertEquals(1, names.size(), () -> "MBeans of " + domain + ": " + names);
    return names.iterator().next();
  }

  private Set<String> mbeanOperations() throws Exception {
    return Arrays.stream(MBEANS.getMBeanInfo(endpointName()).getOperations())
        .map(MBeanOperationInfo::getName)
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
