package io.github.mongolock.aspect;

import io.github.mongolock.aspect.internal.MongoLocksConfigurationSelector;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.AdviceMode;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;

/**
 * Enables {@link WriteLocked} and {@link ReadLocked} on Spring beans and registers the {@link
 * MongoLocks} bean for programmatic use.
 *
 * <pre>{@code
 * @Configuration
 * @EnableMongoLocks(collection = "locks")
 * class AppConfig {
 *   @Bean MongoDatabase database(MongoClient client) { return client.getDatabase("app"); }
 *   @Bean ClientIdProvider clientIdProvider() { return () -> "node-1"; }   // optional
 * }
 * }</pre>
 *
 * <p>The lock collection is the bean named {@value #COLLECTION_BEAN_NAME} (a {@code
 * MongoCollection<Document>}) when there is one, otherwise {@link #collection()} in the
 * application's only {@code MongoDatabase} bean. The client ID comes from the application's {@link
 * ClientIdProvider} bean, or {@link ClientIdProvider#perProcess()} when it has none.
 *
 * <p>Problems are reported when the context starts, naming the method: lock ID templates that
 * cannot work, methods a proxy cannot intercept (private, static, final, or absent from the
 * interfaces of a JDK proxy) and beans created before they could be proxied, asynchronous methods,
 * a method with both annotations, annotations on interface methods (they are not inherited), a wait
 * or lease that is not a valid duration, and in AspectJ mode a locked method that is
 * {@code @Transactional} through a proxy (the lock would be released before the commit).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
// The one reference from this annotation into the internal package, as @EnableTransactionManagement
// imports its selector: the selector and the configurations it picks are not API.
@Import(MongoLocksConfigurationSelector.class)
public @interface EnableMongoLocks {

  /** Name of a {@code MongoCollection<Document>} bean that, when present, holds the locks. */
  String COLLECTION_BEAN_NAME = "mongoLockCollection";

  /**
   * Collection of the {@code MongoDatabase} bean that holds the locks, unless a bean named {@value
   * #COLLECTION_BEAN_NAME} exists. May be a {@code ${...}} placeholder.
   *
   * @return the collection's name, {@code "locks"} by default
   */
  String collection() default "locks";

  /**
   * How long locked methods and {@link MongoLocks} calls wait for a lock unless they say otherwise:
   * {@code "500ms"}, {@code "10s"}, {@code "PT1M"} or a {@code ${...}} placeholder. Then they throw
   * {@link io.github.mongolock.LockTimeoutException}.
   *
   * @return the default wait, {@code "30s"} unless set
   */
  String waitTimeout() default "30s";

  /**
   * The lease of every hold unless a method or {@link MongoLocks} call names another: {@code
   * "20s"}, {@code "PT2M"} or a {@code ${...}} placeholder. The default, 30 seconds, is {@link
   * io.github.mongolock.RWMutexOptions}'s. A process that stops renewing (killed, paused, cut off
   * from MongoDB) keeps the lock this long at most; it renews every third of the lease.
   *
   * @return the default lease, {@code "30s"} unless set
   */
  String leaseTime() default "30s";

  /**
   * {@link AdviceMode#PROXY} (the default): Spring AOP proxies lock calls that go through the
   * proxy. {@link AdviceMode#ASPECTJ}: the {@link MongoLockAspect} woven into the classes
   * (load-time weaving with {@code -javaagent:aspectjweaver.jar} and a {@code META-INF/aop.xml}
   * naming {@code io.github.mongolock.aspect.MongoLockAspect}, or compile-time weaving) locks every
   * call, including {@code this.method()} and objects Spring did not create.
   *
   * @return how locked methods are advised
   */
  AdviceMode mode() default AdviceMode.PROXY;

  /**
   * In proxy mode, force CGLIB subclass proxies instead of JDK interface proxies.
   *
   * @return true for class proxies
   */
  boolean proxyTargetClass() default false;

  /**
   * In proxy mode, the order of the lock advice among other advice on the same bean. The default,
   * {@code Ordered.LOWEST_PRECEDENCE - 1}, puts it outside {@code @Transactional} (whose default is
   * {@code LOWEST_PRECEDENCE}): the lock is taken before the transaction begins and released after
   * it commits or rolls back, so no other client can read the state before it is committed. In
   * AspectJ mode it is not used: the woven {@link MongoLockAspect} takes precedence over every
   * other aspect.
   *
   * @return the advisor's order
   */
  int order() default Ordered.LOWEST_PRECEDENCE - 1;
}
