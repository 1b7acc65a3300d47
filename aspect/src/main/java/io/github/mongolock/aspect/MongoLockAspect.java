package io.github.mongolock.aspect;

import io.github.mongolock.aspect.internal.AspectJInvoker;
import org.aspectj.lang.ProceedingJoinPoint;
import org.aspectj.lang.annotation.Around;
import org.aspectj.lang.annotation.Aspect;
import org.aspectj.lang.annotation.DeclarePrecedence;

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
 *
 * <p>This class is API, and keeps its name and package, because applications name it in their
 * {@code META-INF/aop.xml}. What it does is in the internal package.
 */
@Aspect
@DeclarePrecedence("io.github.mongolock.aspect.MongoLockAspect, *")
public class MongoLockAspect {

  /** Created by the AspectJ weaver (one per class loader), not by applications. */
  public MongoLockAspect() {}

  /**
   * The advice around every execution of a {@link WriteLocked} or {@link ReadLocked} method.
   *
   * @param call the annotated method's execution
   * @return what the method returned
   * @throws Throwable what the method threw, or why it could not be locked
   */
  @Around(
      "execution(@io.github.mongolock.aspect.WriteLocked * *(..))"
          + " || execution(@io.github.mongolock.aspect.ReadLocked * *(..))")
  public Object lockAround(ProceedingJoinPoint call) throws Throwable {
    // The woven code's one way into the plumbing, which holds the configured invoker.
    return AspectJInvoker.invoke(call);
  }
}
