package io.github.mongolock.aspect.internal;

import io.github.mongolock.aspect.MongoLockAspect;
import org.aspectj.lang.Aspects;
import org.aspectj.lang.NoAspectBoundException;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;

/**
 * Internal, not an API: AspectJ mode. Checks that {@link MongoLockAspect} is woven and gives it
 * (through {@link AspectJInvoker}) this context's invoker until the context closes.
 */
@Configuration(proxyBeanMethods = false)
@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
class AspectJMongoLocksConfiguration extends AbstractMongoLocksConfiguration
    implements DisposableBean {

  private LockedMethodInvoker invoker;

  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  MongoLockAspect mongoLockAspect(LockedMethodInvoker mongoLockedMethodInvoker) {
    MongoLockAspect aspect;
    try {
      aspect = Aspects.aspectOf(MongoLockAspect.class);
    } catch (NoAspectBoundException notWoven) {
      throw LockedMethodsException.notWoven(
          "mongoLockAspect",
          "AspectJ mode (@EnableMongoLocks(mode = ASPECTJ) or mongo-lock.aop.mode=aspectj) but"
              + " MongoLockAspect was not woven: run with -javaagent:aspectjweaver.jar and list"
              + " io.github.mongolock.aspect.MongoLockAspect in META-INF/aop.xml, or weave at"
              + " compile time",
          notWoven);
    }
    AspectJInvoker.configure(mongoLockedMethodInvoker);
    this.invoker = mongoLockedMethodInvoker;
    return aspect;
  }

  @Override
  public void destroy() {
    if (invoker != null) {
      AspectJInvoker.release(invoker);
    }
  }
}
