package io.github.mongolock.aspect;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method while this client holds the read (shared) lock {@link #value()}: any
 * number of readers, from any clients, may hold it together, never alongside a writer. It is
 * acquired before the method starts, released when it returns or throws. The method's own
 * exceptions propagate unchanged.
 *
 * <p>The lock ID is a template: literal text, {@code #{...}} SpEL expressions over the method's
 * parameters ({@code #order}, {@code #p0}) and beans ({@code @beanName}), and {@code ${...}}
 * placeholders resolved from the Spring {@code Environment} once, when the application context
 * starts:
 *
 * <pre>{@code
 * @ReadLocked("order-#{#orderId}")
 * public Order find(String orderId) { ... }
 * }</pre>
 *
 * <p>Waiting, re-entry, startup checks and the limits of proxies are as described on {@link
 * WriteLocked}. In particular a read-locked method must not call a write-locked method on the same
 * lock ID: that is an upgrade, refused with {@link io.github.mongolock.LockUpgradeException}.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ReadLocked {

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
