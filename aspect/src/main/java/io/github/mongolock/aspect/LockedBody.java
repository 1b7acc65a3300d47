package io.github.mongolock.aspect;

/** The work done under a lock: a method invocation's {@code proceed()} or a user's supplier. */
@FunctionalInterface
interface LockedBody {
  Object run() throws Throwable;
}
