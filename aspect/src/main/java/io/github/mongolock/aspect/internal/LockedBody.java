package io.github.mongolock.aspect.internal;

/**
 * Internal, not an API: the work done under a lock, a method invocation's {@code proceed()} or a
 * user's supplier. Public only because {@link io.github.mongolock.aspect.MongoLocks} runs its
 * bodies as one.
 */
@FunctionalInterface
public interface LockedBody {
  /**
   * Does the work.
   *
   * @return its result
   * @throws Throwable whatever the work throws
   */
  Object run() throws Throwable;
}
