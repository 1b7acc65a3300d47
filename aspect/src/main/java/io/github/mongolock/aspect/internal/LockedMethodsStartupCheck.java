package io.github.mongolock.aspect.internal;

import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Internal, not an API: once every singleton exists, makes sure the locked methods found among them
 * have a {@code MongoLocks} to lock through. The bean is otherwise reached on a method's first
 * call; where it cannot be made (no MongoDB to lock on), that call would fail long after a
 * deployment looked healthy, so the startup fails instead, naming the methods.
 */
final class LockedMethodsStartupCheck implements SmartInitializingSingleton {

  private final LockedBeansValidator validator;
  private final LockedMethodInvoker invoker;

  LockedMethodsStartupCheck(LockedBeansValidator validator, LockedMethodInvoker invoker) {
    this.validator = validator;
    this.invoker = invoker;
  }

  @Override
  public void afterSingletonsInstantiated() {
    int count = validator.lockedMethodCount();
    if (count == 0) {
      return;
    }
    try {
      invoker.mongoLocks();
    } catch (RuntimeException cannot) {
      throw LockedMethodsException.noMongoLocks(
          "mongoLockedMethodsStartupCheck", validator.firstLockedMethods(), count, cannot);
    }
  }
}
