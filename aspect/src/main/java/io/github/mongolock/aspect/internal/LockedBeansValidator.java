package io.github.mongolock.aspect.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.AdviceMode;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Internal, not an API: checks every bean Spring creates, when it is created, so that a locked
 * method that cannot work fails the startup instead of its first call: the template and timeout
 * parse (and are cached), the method is not asynchronous, and, in proxy mode, the proxy can
 * intercept it. In AspectJ mode it refuses a locked method that is also {@code @Transactional}
 * through a proxy: the woven lock would run inside the proxy's transaction and be released before
 * the commit.
 */
final class LockedBeansValidator implements BeanPostProcessor {

  private static final List<String> TRANSACTIONAL =
      List.of(
          "org.springframework.transaction.annotation.Transactional",
          "jakarta.transaction.Transactional");

  private static final int METHODS_NAMED = 3;

  private final Set<Class<?>> unlockedClasses = ConcurrentHashMap.newKeySet();
  private final AtomicInteger lockedMethodCount = new AtomicInteger();
  private final List<String> firstLockedMethods = new ArrayList<>(METHODS_NAMED);
  private final LockedMethods lockedMethods;
  private final AdviceMode mode;

  LockedBeansValidator(LockedMethods lockedMethods, AdviceMode mode) {
    this.lockedMethods = lockedMethods;
    this.mode = mode;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    Class<?> targetClass = AopProxyUtils.ultimateTargetClass(bean);
    if (unlockedClasses.contains(targetClass)) {
      return bean;
    }
    List<Method> annotated = new ArrayList<>();
    ReflectionUtils.doWithMethods(
        targetClass, annotated::add, m -> !m.isBridge() && LockedMethods.isAnnotated(m));
    List<String> problems = new ArrayList<>();
    for (Class<?> type : ClassUtils.getAllInterfacesForClassAsSet(targetClass)) {
      for (Method method : type.getMethods()) {
        if (method.getDeclaringClass() == type && LockedMethods.isAnnotated(method)) {
          problems.add(LockedMethods.interfaceAnnotationRefusal(method).getMessage());
        }
      }
    }
    if (annotated.isEmpty() && problems.isEmpty()) {
      unlockedClasses.add(targetClass);
      return bean;
    }
    for (Method method : annotated) {
      String problem = check(bean, targetClass, method);
      if (problem != null) {
        problems.add(problem);
      }
    }
    if (!problems.isEmpty()) {
      throw LockedMethodsException.invalid(beanName, problems);
    }
    return bean;
  }

  /** How many locked methods the beans created so far have (each bean's counted once). */
  int lockedMethodCount() {
    return lockedMethodCount.get();
  }

  /** The first few of them, described, to name in a startup failure. */
  List<String> firstLockedMethods() {
    synchronized (firstLockedMethods) {
      return List.copyOf(firstLockedMethods);
    }
  }

  private void seen(LockedMethod locked) {
    lockedMethodCount.incrementAndGet();
    synchronized (firstLockedMethods) {
      if (firstLockedMethods.size() < METHODS_NAMED) {
        firstLockedMethods.add(locked.describe());
      }
    }
  }

  private String check(Object bean, Class<?> targetClass, Method method) {
    LockedMethod locked;
    try {
      locked = lockedMethods.get(method, targetClass);
    } catch (IllegalStateException invalid) {
      return invalid.getMessage();
    }
    if (locked == null) {
      // Declared on a superclass and overridden here without the annotation: not locked.
      return null;
    }
    seen(locked);
    if (mode == AdviceMode.ASPECTJ) {
      if (AopUtils.isAopProxy(bean) && isTransactional(method)) {
        return locked.describe()
            + ": also @Transactional through a Spring proxy, so the woven lock would be released"
            + " before the proxy commits. Use @EnableTransactionManagement(mode = ASPECTJ) too, or"
            + " move @Transactional to a method this one calls";
      }
      return null;
    }
    int modifiers = method.getModifiers();
    String cannot = null;
    if (Modifier.isPrivate(modifiers)) {
      cannot = "private";
    } else if (Modifier.isStatic(modifiers)) {
      cannot = "static";
    } else if (Modifier.isFinal(modifiers)) {
      cannot = "final";
    } else if (!AopUtils.isAopProxy(bean)) {
      return locked.describe()
          + ": the bean was not proxied (it was created before the auto-proxy creator could"
          + " process it, e.g. needed by a BeanPostProcessor), so its calls would not be locked";
    } else if (AopUtils.isJdkDynamicProxy(bean) && !onProxiedInterface((Advised) bean, method)) {
      return locked.describe()
          + ": the bean is a JDK interface proxy and no interface declares the method, so callers"
          + " cannot reach it through the proxy. Declare it on the interface, or use"
          + " @EnableMongoLocks(proxyTargetClass = true)";
    }
    if (cannot != null) {
      return locked.describe()
          + ": a Spring AOP proxy cannot intercept a "
          + cannot
          + " method, so its calls would not be locked. Make it non-"
          + cannot
          + ", or weave with @EnableMongoLocks(mode = AdviceMode.ASPECTJ)";
    }
    return null;
  }

  private static boolean onProxiedInterface(Advised proxy, Method method) {
    for (Class<?> type : proxy.getProxiedInterfaces()) {
      if (ReflectionUtils.findMethod(type, method.getName(), method.getParameterTypes()) != null) {
        return true;
      }
    }
    return false;
  }

  private static boolean isTransactional(Method method) {
    for (var annotation : method.getAnnotations()) {
      if (TRANSACTIONAL.contains(annotation.annotationType().getName())) {
        return true;
      }
    }
    for (var annotation : method.getDeclaringClass().getAnnotations()) {
      if (TRANSACTIONAL.contains(annotation.annotationType().getName())) {
        return true;
      }
    }
    return false;
  }
}
