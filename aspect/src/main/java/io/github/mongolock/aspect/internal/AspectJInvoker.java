package io.github.mongolock.aspect.internal;

import java.lang.reflect.Method;
import org.aspectj.lang.ProceedingJoinPoint;
import org.aspectj.lang.reflect.MethodSignature;

/**
 * Internal, not an API: what the woven {@link io.github.mongolock.aspect.MongoLockAspect} does. It
 * holds the invoker of the application context that configured AspectJ mode, one for the class
 * loader (the last such context configured wins), and refuses to run a locked method while there is
 * none.
 */
public final class AspectJInvoker {

  private static volatile LockedMethodInvoker invoker;

  private AspectJInvoker() {}

  /**
   * Runs one woven execution of an annotated method under its lock.
   *
   * @param call the annotated method's execution
   * @return what the method returned
   * @throws Throwable what the method threw, or why it could not be locked
   */
  public static Object invoke(ProceedingJoinPoint call) throws Throwable {
    // The join point is the annotated method's own execution: no need to look for an override.
    Method method = ((MethodSignature) call.getSignature()).getMethod();
    return invoker().invoke(method, method.getDeclaringClass(), call.getArgs(), call::proceed);
  }

  static synchronized void configure(LockedMethodInvoker invoker) {
    AspectJInvoker.invoker = invoker;
  }

  /** Forgets {@code invoker} when its context closes, unless another context replaced it since. */
  static synchronized void release(LockedMethodInvoker invoker) {
    if (AspectJInvoker.invoker == invoker) {
      AspectJInvoker.invoker = null;
    }
  }

  private static LockedMethodInvoker invoker() {
    LockedMethodInvoker current = invoker;
    if (current == null) {
      throw new IllegalStateException(
          "MongoLockAspect is woven in but no application context with"
              + " @EnableMongoLocks(mode = AdviceMode.ASPECTJ) has configured it; refusing to run a"
              + " locked method without its lock");
    }
    return current;
  }
}
