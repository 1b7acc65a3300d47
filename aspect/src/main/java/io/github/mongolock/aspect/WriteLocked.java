package io.github.mongolock.aspect;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method while this client holds the write (exclusive) lock {@link #value()}:
 * acquired before the method starts, released when it returns or throws. The method's own
 * exceptions propagate unchanged.
 *
 * <p>The lock ID is a template: literal text, {@code #{...}} SpEL expressions over the method's
 * parameters ({@code #order}, {@code #p0}) and beans ({@code @beanName}), and {@code ${...}}
 * placeholders resolved from the Spring {@code Environment} once, when the application context
 * starts:
 *
 * <pre>{@code
 * @WriteLocked("order-#{#order.id}")
 * public void ship(Order order) { ... }
 * }</pre>
 *
 * <p>Rules (the same for {@link ReadLocked} and for {@link MongoLocks}):
 *
 * <ul>
 *   <li>Templates are parsed and checked once per method when the context starts; an unknown
 *       parameter name, a syntax error or an unresolvable placeholder fails the startup with a
 *       message naming the method. At call time, an expression that yields {@code null} or a blank
 *       string fails with {@link IllegalArgumentException} before anything is written.
 *   <li>Waiting: up to {@link #waitTimeout()}, then {@link
 *       io.github.mongolock.LockTimeoutException}, whose message names the lock; the method does
 *       not run.
 *   <li>Lease: the hold lasts {@link #leaseTime()} without renewal. If it is lost while the method
 *       runs (the process could not renew it in time, or another client evicted it), the release
 *       throws {@link io.github.mongolock.LockLostException}: a method that returned normally
 *       throws it instead of returning (its work is done but may have overlapped with another
 *       holder); a method that threw keeps its own exception, with the loss attached as suppressed.
 *       Inside the method, {@link MongoLocks#currentHold()} tells whether the lock is still held
 *       and gives the fencing token.
 *   <li>Re-entry on one thread: a write-locked method may call methods that write- or read-lock the
 *       same ID. A read-locked method that calls a write-locked one on the same ID fails at once
 *       with {@link io.github.mongolock.LockUpgradeException} (upgrading would deadlock two
 *       readers).
 *   <li>Threads of one JVM exclude each other even when they share a client ID.
 *   <li>Methods returning {@code CompletionStage}, {@code Future} or a reactive type, and
 *       {@code @Async} methods, are refused at startup: the lock would be released when the method
 *       returns, before the asynchronous work is done. Take the lock inside the asynchronous work.
 *   <li>With proxies ({@code @EnableMongoLocks}, the default), only calls through the Spring proxy
 *       are locked: a call from the same object ({@code this.method()}) is not. Private, static and
 *       final methods are refused at startup. {@code @EnableMongoLocks(mode = ASPECTJ)} with
 *       AspectJ weaving has neither limit.
 *   <li>The annotation is read from the implementing method, not from interfaces it implements.
 * </ul>
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface WriteLocked {

  /**
   * The lock ID, a template: {@code "orders"}, {@code "order-#{#order.id}"}, {@code "${app.lock}"}.
   *
   * @return the template
   */
  String value();

  /**
   * How long to wait for the lock, e.g. {@code "500ms"}, {@code "10s"}, {@code "PT1M"} or a {@code
   * ${...}} placeholder; {@code "0"} makes one attempt. Empty (the default) means the {@link
   * EnableMongoLocks#waitTimeout()} of the application, 30 seconds unless configured.
   *
   * @return the wait, or empty for the application's
   */
  String waitTimeout() default "";

  /**
   * The lease of the hold, e.g. {@code "20s"}, {@code "PT2M"} or a {@code ${...}} placeholder: how
   * long the lock stays held if this process stops renewing it (it renews every third of the lease
   * while the method runs). Empty (the default) means the {@link EnableMongoLocks#leaseTime()} of
   * the application, 30 seconds unless configured. A hold lost while the method runs makes the call
   * throw {@link io.github.mongolock.LockLostException} (see {@link MongoLocks}).
   *
   * @return the lease, or empty for the application's
   */
  String leaseTime() default "";
}
