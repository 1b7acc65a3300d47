/**
 * The Micrometer binding of mongo-lock-java: {@link
 * io.github.mongolock.micrometer.MicrometerLockListener}, a {@link
 * io.github.mongolock.LockListener} that turns each acquire and each hold into an {@link
 * io.micrometer.observation.Observation} (timers and spans) and counts lost holds and lease
 * renewals. The names and keys it produces are listed in {@link
 * io.github.mongolock.micrometer.MongoLockObservationDocumentation}; the observation conventions
 * here let an application change them.
 */
package io.github.mongolock.micrometer;
