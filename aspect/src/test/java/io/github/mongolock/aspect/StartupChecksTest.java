package io.github.mongolock.aspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoDatabase;
import io.github.mongolock.testkit.MongoExtension;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;

/**
 * Locked methods that cannot work fail the context's startup, naming the method, rather than their
 * first call (or, worse, running unlocked).
 */
@ExtendWith(MongoExtension.class)
class StartupChecksTest {

  @Configuration
  @EnableMongoLocks
  static class Locks {}

  public static class UnknownParameter {
    @WriteLocked("order-#{#ordr.id}")
    public void place(Object order) {}
  }

  public static class SyntaxError {
    @WriteLocked("order-#{#order.}")
    public void place(Object order) {}
  }

  public static class IndexOutOfRange {
    @ReadLocked("order-#{#p1}")
    public void place(Object order) {}
  }

  public static class UnresolvablePlaceholder {
    @WriteLocked("${no.such.property}")
    public void place() {}
  }

  public static class BadTimeout {
    @WriteLocked(value = "orders", waitTimeout = "soon")
    public void place() {}
  }

  public static class BadLeaseTime {
    @WriteLocked(value = "orders", leaseTime = "a while")
    public void place() {}
  }

  public static class ZeroLeaseTime {
    @ReadLocked(value = "orders", leaseTime = "0s")
    public void find() {}
  }

  public static class NegativeLeaseTime {
    @WriteLocked(value = "orders", leaseTime = "${app.lease}")
    public void place() {}
  }

  @Configuration
  @EnableMongoLocks(leaseTime = "-1s")
  static class NegativeDefaultLease {}

  public static class BothAnnotations {
    @WriteLocked("orders")
    @ReadLocked("orders")
    public void place() {}
  }

  public static class PrivateMethod {
    public void place() {
      doPlace();
    }

    @WriteLocked("orders")
    private void doPlace() {}
  }

  public static class FinalMethod {
    @WriteLocked("orders")
    public final void place() {}
  }

  public static class ReturnsFuture {
    @WriteLocked("orders")
    public CompletableFuture<String> place() {
      return CompletableFuture.completedFuture("done");
    }
  }

  public static class ReturnsStage {
    @ReadLocked("orders")
    public CompletionStage<String> find() {
      return CompletableFuture.completedFuture("done");
    }
  }

  public static class AsyncMethod {
    @Async
    @WriteLocked("orders")
    public void place() {}
  }

  public interface Orders {
    void place();
  }

  public static class NotOnInterface implements Orders {
    @Override
    public void place() {}

    @WriteLocked("orders")
    public void cancel() {}
  }

  public interface AnnotatedInterface {
    @WriteLocked("orders")
    void place();
  }

  public static class ImplementsAnnotatedInterface implements AnnotatedInterface {
    @Override
    public void place() {}
  }

  public static class Valid {
    @WriteLocked("order-#{#order}-#{#p0}-#{#a0}")
    public void place(String order) {}
  }

  private static String startupFailure(MongoDatabase database, Class<?> bean) {
    return startupFailure(database, bean, Locks.class);
  }

  private static String startupFailure(MongoDatabase database, Class<?> bean, Class<?>... config) {
    Class<?>[] classes = new Class<?>[config.length + 1];
    System.arraycopy(config, 0, classes, 0, config.length);
    classes[config.length] = bean;
    Exception e =
        assertThrows(
            Exception.class, () -> TestContexts.start(database, Map.of(), classes).close());
    StringBuilder messages = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      messages.append(t.getMessage()).append('\n');
    }
    return messages.toString();
  }

  private static void assertMentions(String text, String... parts) {
    for (String part : parts) {
      assertTrue(text.contains(part), "expected \"" + part + "\" in:\n" + text);
    }
  }

  @Test
  void unknownParameterName(MongoDatabase database) {
    assertMentions(
        startupFailure(database, UnknownParameter.class),
        "UnknownParameter.place(Object)",
        "#ordr is not a parameter",
        "#order");
  }

  @Test
  void syntaxError(MongoDatabase database) {
    assertMentions(
        startupFailure(database, SyntaxError.class), "SyntaxError.place(Object)", "cannot parse");
  }

  @Test
  void parameterIndexOutOfRange(MongoDatabase database) {
    assertMentions(
        startupFailure(database, IndexOutOfRange.class), "IndexOutOfRange.place(Object)", "#p1");
  }

  @Test
  void unresolvablePlaceholder(MongoDatabase database) {
    assertMentions(
        startupFailure(database, UnresolvablePlaceholder.class),
        "UnresolvablePlaceholder.place()",
        "no.such.property");
  }

  @Test
  void badWaitTimeout(MongoDatabase database) {
    assertMentions(startupFailure(database, BadTimeout.class), "BadTimeout.place()", "\"soon\"");
  }

  @Test
  void badLeaseTimes(MongoDatabase database) {
    assertMentions(
        startupFailure(database, BadLeaseTime.class),
        "@WriteLocked(\"orders\") on",
        "BadLeaseTime.place()",
        "leaseTime \"a while\" is not a duration");
    assertMentions(
        startupFailure(database, ZeroLeaseTime.class),
        "ZeroLeaseTime.find()",
        "leaseTime \"0s\" must be positive");
    Exception e =
        assertThrows(
            Exception.class,
            () ->
                TestContexts.start(
                        database, Map.of("app.lease", "-5s"), Locks.class, NegativeLeaseTime.class)
                    .close());
    StringBuilder messages = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      messages.append(t.getMessage()).append('\n');
    }
    assertMentions(
        messages.toString(), "NegativeLeaseTime.place()", "leaseTime \"-5s\" must be positive");
  }

  @Test
  void badApplicationDefaultLeaseTime(MongoDatabase database) {
    assertMentions(
        startupFailure(database, Valid.class, NegativeDefaultLease.class),
        "@EnableMongoLocks",
        "leaseTime \"-1s\" must be positive");
  }

  @Test
  void bothAnnotationsOnOneMethod(MongoDatabase database) {
    assertMentions(
        startupFailure(database, BothAnnotations.class), "BothAnnotations.place()", "choose one");
  }

  @Test
  void privateMethodInProxyMode(MongoDatabase database) {
    assertMentions(
        startupFailure(database, PrivateMethod.class),
        "PrivateMethod.doPlace()",
        "cannot intercept a private method",
        "mode = AdviceMode.ASPECTJ");
  }

  @Test
  void finalMethodInProxyMode(MongoDatabase database) {
    assertMentions(
        startupFailure(database, FinalMethod.class),
        "FinalMethod.place()",
        "cannot intercept a final method");
  }

  @Test
  void methodsReturningFuturesAreRefused(MongoDatabase database) {
    assertMentions(
        startupFailure(database, ReturnsFuture.class),
        "ReturnsFuture.place()",
        "returns CompletableFuture",
        "before the asynchronous work completes");
    assertMentions(
        startupFailure(database, ReturnsStage.class), "ReturnsStage.find()", "CompletionStage");
  }

  @Configuration
  @EnableAsync
  static class AsyncConfig {}

  @Test
  void asyncMethodsAreRefused(MongoDatabase database) {
    assertMentions(
        startupFailure(database, AsyncMethod.class, Locks.class, AsyncConfig.class),
        "AsyncMethod.place()",
        "@Async");
  }

  @Test
  void methodAJdkProxyCannotReach(MongoDatabase database) {
    assertMentions(
        startupFailure(database, NotOnInterface.class),
        "NotOnInterface.cancel()",
        "JDK interface proxy",
        "proxyTargetClass = true");
  }

  @Test
  void annotationsOnInterfaceMethodsAreRefused(MongoDatabase database) {
    assertMentions(
        startupFailure(database, ImplementsAnnotatedInterface.class),
        "interface method",
        "AnnotatedInterface.place()",
        "annotate the implementing method");
  }

  @Configuration
  @EnableMongoLocks(proxyTargetClass = true)
  static class ClassProxies {}

  @Test
  void classProxiesReachMethodsOutsideTheInterface(MongoDatabase database) {
    try (AnnotationConfigApplicationContext context =
        TestContexts.start(database, ClassProxies.class, NotOnInterface.class)) {
      assertNotNull(context.getBean(NotOnInterface.class));
    }
  }

  @Test
  void validTemplatesStart(MongoDatabase database) {
    try (AnnotationConfigApplicationContext context =
        TestContexts.start(database, Locks.class, Valid.class)) {
      assertNotNull(context.getBean(Valid.class));
    }
  }

  @Test
  void withoutAMongoDatabaseTheMessageSaysWhatIsNeeded() {
    String failure = startupFailure(null, Valid.class);
    assertMentions(failure, "MongoDatabase", EnableMongoLocks.COLLECTION_BEAN_NAME);
  }

  @Test
  void withoutAClientIdProviderEachProcessGetsItsOwnId(MongoDatabase database) {
    try (AnnotationConfigApplicationContext context = TestContexts.start(database, Locks.class)) {
      String id = context.getBean(MongoLocks.class).clientId();
      assertTrue(Pattern.matches(".+:" + ProcessHandle.current().pid() + ":[0-9a-f]{8}", id), id);
      assertEquals(id, ClientIdProvider.perProcess().clientId());
    }
  }
}
