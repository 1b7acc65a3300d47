package io.github.mongolock.aspect;

import java.lang.reflect.Method;
import org.aspectj.lang.ProceedingJoinPoint;
import org.aspectj.lang.annotation.Around;
import org.aspectj.lang.annotation.Aspect;
import org.aspectj.lang.annotation.DeclarePrecedence;
import org.aspectj.lang.reflect.MethodSignature;

/**
 * The AspectJ form of the lock advice, for {@code @EnableMongoLocks(mode = AdviceMode.ASPECTJ)}.
 * Name it in the application's {@code META-INF/aop.xml} and run with {@code
 * -javaagent:aspectjweaver.jar}:
 *
 * <pre>{@code
 * <aspectj>
 *   <weaver><include within="com.example..*"/></weaver>
 *   <aspects><aspect name="io.github.mongolock.aspect.MongoLockAspect"/></aspects>
 * </aspectj>
 * }</pre>
 *
 * <p>Woven code locks every execution of an annotated method, including calls from the same object
 * and on objects Spring did not create. It takes precedence over other woven aspects (such as
 * Spring's {@code AnnotationTransactionAspect}), so the lock wraps the transaction. Until an
 * application context with {@code @EnableMongoLocks(mode = ASPECTJ)} has configured it, an
 * annotated method throws {@link IllegalStateException} rather than run unlocked. One aspect
 * instance serves the class loader: the last such context configured wins.
 */
@Aspect
@DeclarePrecedence("io.github.mongolock.aspect.MongoLockAspect, *")
public class MongoLockAspect {

  private volatile LockedMethodInvoker invoker;

  @Around(
      "execution(@io.github.mongolock.aspect.WriteLocked * *(..))"
          + " || execution(@io.github.mongolock.aspect.ReadLocked * *(..))")
  public Object lockAround(ProceedingJoinPoint call) throws Throwable {
    // The join point is the annotated method's own execution: no need to look for an override.
    Method method = ((MethodSignature) call.getSignature()).getMethod();
    return invoker().invoke(method, method.getDeclaringClass(), call.getArgs(), call::proceed);
  }

  synchronized void configure(LockedMethodInvoker invoker) {
    this.invoker = invoker;
  }

  /** Forgets {@code invoker} when its context closes, unless another context replaced it since. */
  synchronized void release(LockedMethodInvoker invoker) {
    if (this.invoker == invoker) {
      this.invoker = null;
    }
  }

  private LockedMethodInvoker invoker() {
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
