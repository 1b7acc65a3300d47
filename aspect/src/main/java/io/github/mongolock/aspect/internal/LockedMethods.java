package io.github.mongolock.aspect.internal;

import io.github.mongolock.LockMode;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.aspect.ReadLocked;
import io.github.mongolock.aspect.WriteLocked;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import org.springframework.aop.support.AopUtils;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodClassKey;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.PropertyResolver;
import org.springframework.expression.BeanResolver;
import org.springframework.format.datetime.standard.DurationFormatterUtils;
import org.springframework.scheduling.annotation.Async;
import org.springframework.util.ClassUtils;

/**
 * Internal, not an API: the per-method metadata cache shared by the proxy interceptor, the AspectJ
 * aspect and the startup check: each (method, target class) is looked up, parsed and checked once.
 */
final class LockedMethods {

  private static final Object NOT_LOCKED = new Object();

  private final Map<MethodClassKey, Object> cache = new ConcurrentHashMap<>(256);
  private final PropertyResolver placeholders;
  private final BeanResolver beans;
  private final ParameterNameDiscoverer parameterNames = new DefaultParameterNameDiscoverer();

  /**
   * @param placeholders resolves {@code ${...}} in lock IDs and timeouts (the Environment)
   * @param beans resolves {@code @bean} references in lock ID expressions (may be null)
   */
  LockedMethods(PropertyResolver placeholders, BeanResolver beans) {
    this.placeholders = placeholders;
    this.beans = beans;
  }

  static boolean isAnnotated(Method method) {
    return method.isAnnotationPresent(WriteLocked.class)
        || method.isAnnotationPresent(ReadLocked.class);
  }

  /**
   * The lock a call of {@code method} on an instance of {@code targetClass} takes, or null when the
   * method is not annotated.
   *
   * @throws IllegalStateException naming the method, when its annotation cannot work
   */
  LockedMethod get(Method method, Class<?> targetClass) {
    MethodClassKey key = new MethodClassKey(method, targetClass);
    Object cached = cache.get(key);
    if (cached == null) {
      cached = cache.computeIfAbsent(key, k -> parse(method, targetClass));
    }
    if (cached instanceof LockedMethod locked) {
      return locked;
    }
    if (cached instanceof IllegalStateException invalid) {
      throw new IllegalStateException(invalid.getMessage(), invalid.getCause());
    }
    return null;
  }

  /** The lock ID for one call of a locked method. */
  String lockId(LockedMethod locked, Object[] args) {
    return locked.lockId().evaluate(locked.method(), args, parameterNames, beans);
  }

  private Object parse(Method method, Class<?> targetClass) {
    // Also maps a CGLIB-enhanced class (a @Configuration class, say) to the user's class.
    Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
    WriteLocked write = specific.getAnnotation(WriteLocked.class);
    ReadLocked read = specific.getAnnotation(ReadLocked.class);
    if (write == null && read == null) {
      if (isAnnotated(method) && method.getDeclaringClass().isInterface()) {
        return interfaceAnnotationRefusal(method);
      }
      return NOT_LOCKED;
    }
    String where = LockIdTemplate.describe(specific);
    if (write != null && read != null) {
      return new IllegalStateException(
          "@WriteLocked and @ReadLocked on one method, " + where + ": choose one");
    }
    LockMode mode = write != null ? LockMode.WRITE : LockMode.READ;
    String annotation = (write != null ? "@WriteLocked" : "@ReadLocked");
    String template = write != null ? write.value() : read.value();
    String timeout = write != null ? write.waitTimeout() : read.waitTimeout();
    String lease = write != null ? write.leaseTime() : read.leaseTime();
    annotation += "(\"" + template + "\") on " + where;
    try {
      String refusal = asyncRefusal(specific, targetClass);
      if (refusal != null) {
        return new IllegalStateException(annotation + ": " + refusal);
      }
      LockIdTemplate lockId =
          LockIdTemplate.parse(
              placeholders.resolveRequiredPlaceholders(template),
              specific,
              parameterNames.getParameterNames(specific));
      Duration wait = timeout.isEmpty() ? null : parseTimeout(placeholders, timeout);
      Duration leaseTime = lease.isEmpty() ? null : parseLeaseTime(placeholders, lease);
      return new LockedMethod(specific, mode, lockId, wait, leaseTime);
    } catch (IllegalArgumentException e) {
      return new IllegalStateException(annotation + ": " + e.getMessage(), e);
    }
  }

  /**
   * Annotations on interface methods are not inherited, in either advice mode (AspectJ's execution
   * join points never see them); refusing them keeps a proxy from matching them and then running
   * the method unlocked.
   */
  static IllegalStateException interfaceAnnotationRefusal(Method method) {
    return new IllegalStateException(
        (method.isAnnotationPresent(WriteLocked.class) ? "@WriteLocked" : "@ReadLocked")
            + " on the interface method "
            + LockIdTemplate.describe(method)
            + " is not inherited by implementations: annotate the implementing method");
  }

  /** Parses a wait timeout such as "500ms", "10s", "PT1M" or "${app.wait}". */
  static Duration parseTimeout(PropertyResolver placeholders, String text) {
    String resolved = placeholders.resolveRequiredPlaceholders(text).trim();
    Duration duration = parseDuration("waitTimeout", resolved);
    if (duration.isNegative()) {
      throw new IllegalArgumentException("waitTimeout \"" + resolved + "\" is negative");
    }
    return duration;
  }

  /**
   * Parses a lease time such as "20s", "PT1M" or "${app.lease}"; it must be one that {@link
   * RWMutexOptions} accepts (positive, long enough for a renewal interval of a third of it).
   */
  static Duration parseLeaseTime(PropertyResolver placeholders, String text) {
    String resolved = placeholders.resolveRequiredPlaceholders(text).trim();
    Duration duration = parseDuration("leaseTime", resolved);
    if (duration.isZero() || duration.isNegative()) {
      throw new IllegalArgumentException("leaseTime \"" + resolved + "\" must be positive");
    }
    try {
      RWMutexOptions.builder().leaseTime(duration).build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "leaseTime \"" + resolved + "\" is not usable: " + e.getMessage(), e);
    }
    return duration;
  }

  private static Duration parseDuration(String attribute, String resolved) {
    try {
      return DurationFormatterUtils.detectAndParse(resolved);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          attribute + " \"" + resolved + "\" is not a duration such as 500ms, 10s or PT1M", e);
    }
  }

  private static final String REACTIVE_PUBLISHER = "org.reactivestreams.Publisher";

  private static String asyncRefusal(Method method, Class<?> targetClass) {
    Class<?> returns = method.getReturnType();
    if (Future.class.isAssignableFrom(returns)
        || CompletionStage.class.isAssignableFrom(returns)
        || Flow.Publisher.class.isAssignableFrom(returns)
        || isReactive(returns)) {
      return "it returns "
          + returns.getSimpleName()
          + ", so the lock would be released when the method returns, before the asynchronous"
          + " work completes. Take the lock inside the asynchronous work instead (for example"
          + " with MongoLocks.withWriteLock in the task), or lock a synchronous method";
    }
    if (AnnotatedElementUtils.hasAnnotation(method, Async.class)
        || AnnotatedElementUtils.hasAnnotation(targetClass, Async.class)
        || AnnotatedElementUtils.hasAnnotation(method.getDeclaringClass(), Async.class)) {
      return "the method is @Async: the lock would be taken and released on the calling thread"
          + " while the work runs on another. Lock a synchronous method that the @Async method"
          + " calls instead";
    }
    return null;
  }

  private static boolean isReactive(Class<?> type) {
    for (Class<?> c : ClassUtils.getAllInterfacesForClassAsSet(type)) {
      if (c.getName().equals(REACTIVE_PUBLISHER)) {
        return true;
      }
    }
    return type.getName().equals(REACTIVE_PUBLISHER);
  }
}
