package io.github.mongolock.aspect.internal;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.support.AopUtils;

/** Internal, not an API: the proxy-mode advice; all the work is in {@link LockedMethodInvoker}. */
final class MongoLockInterceptor implements MethodInterceptor {

  private final LockedMethodInvoker invoker;

  MongoLockInterceptor(LockedMethodInvoker invoker) {
    this.invoker = invoker;
  }

  @Override
  public Object invoke(MethodInvocation invocation) throws Throwable {
    Object target = invocation.getThis();
    Class<?> targetClass =
        target != null
            ? AopUtils.getTargetClass(target)
            : invocation.getMethod().getDeclaringClass();
    return invoker.invoke(
        invocation.getMethod(), targetClass, invocation.getArguments(), invocation::proceed);
  }
}
