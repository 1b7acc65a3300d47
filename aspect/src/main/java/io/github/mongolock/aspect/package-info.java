/**
 * The Spring integration's API: what applications type.
 *
 * <ul>
 *   <li>{@link io.github.mongolock.aspect.WriteLocked} and {@link
 *       io.github.mongolock.aspect.ReadLocked} run a method under a write or read lock;
 *   <li>{@link io.github.mongolock.aspect.EnableMongoLocks} turns them on, with Spring proxies or
 *       AspectJ weaving, and registers the {@link io.github.mongolock.aspect.MongoLocks} bean;
 *   <li>{@link io.github.mongolock.aspect.MongoLocks} locks programmatically, and {@link
 *       io.github.mongolock.aspect.MongoLocks#currentHold()} gives the hold of the locked method or
 *       body running now;
 *   <li>{@link io.github.mongolock.aspect.ClientIdProvider} supplies the client ID locks are held
 *       under;
 *   <li>{@link io.github.mongolock.aspect.MongoLockAspect} is the aspect that {@code
 *       META-INF/aop.xml} names for AspectJ mode.
 * </ul>
 *
 * <p>The plumbing behind them is in {@code io.github.mongolock.aspect.internal}, which is not an
 * API. This package names it only where it must: {@code @EnableMongoLocks} imports its
 * configuration selector, {@code MongoLockAspect} delegates to it, and {@code MongoLocks} gives it
 * the annotations' way into its locking path.
 */
package io.github.mongolock.aspect;
