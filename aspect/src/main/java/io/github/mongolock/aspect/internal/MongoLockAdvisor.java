package io.github.mongolock.aspect.internal;

import io.github.mongolock.aspect.ReadLocked;
import io.github.mongolock.aspect.WriteLocked;
import org.aopalliance.aop.Advice;
import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;

/**
 * Internal, not an API: in proxy mode, applies {@link MongoLockInterceptor} to methods annotated
 * with either annotation.
 */
final class MongoLockAdvisor extends AbstractPointcutAdvisor {

  private final transient Pointcut pointcut =
      new ComposablePointcut(AnnotationMatchingPointcut.forMethodAnnotation(WriteLocked.class))
          .union(AnnotationMatchingPointcut.forMethodAnnotation(ReadLocked.class));
  private final transient Advice advice;

  MongoLockAdvisor(MongoLockInterceptor advice, int order) {
    this.advice = advice;
    setOrder(order);
  }

  @Override
  public Pointcut getPointcut() {
    return pointcut;
  }

  @Override
  public Advice getAdvice() {
    return advice;
  }
}
