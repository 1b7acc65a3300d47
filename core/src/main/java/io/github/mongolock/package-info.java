/**
 * The API of mongo-lock-java: {@link io.github.mongolock.RWMutex}, a distributed reader/writer lock
 * stored in MongoDB, with its options, handles, listeners, exceptions and the {@link
 * io.github.mongolock.LockRuntime} that owns its threads. Everything a user types is here; the
 * {@code internal} packages below are not an API.
 */
package io.github.mongolock;
