/**
 * Internal, not an API: waiting, re-entry and hand-off. {@link
 * io.github.mongolock.internal.engine.LocalHolds} (the local rules, as decisions), {@link
 * io.github.mongolock.internal.engine.ModeRule} (what differs between write and read), the polling
 * loop, and {@link io.github.mongolock.internal.engine.EngineRuntime} (the threads and registries a
 * set of mutexes shares). Depends on the lease and store packages, never on the API package.
 */
package io.github.mongolock.internal.engine;
