/**
 * Internal, not an API: the whole MongoDB protocol of the lock in one place. {@link
 * io.github.mongolock.internal.store.LockDocument} (the stored document), {@link
 * io.github.mongolock.internal.store.LockCommands} (every command, as data), {@link
 * io.github.mongolock.internal.store.LockProtocol} (sends them and classifies the outcome) and
 * {@link io.github.mongolock.internal.store.IndexSetup}. Depends on nothing else of the library.
 */
package io.github.mongolock.internal.store;
