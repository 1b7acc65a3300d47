/**
 * Internal, not an API: leases, their renewal by one heartbeat per runtime, and the watch that
 * declares a lease lost in time. Depends only on the store package; reports losses through {@link
 * io.github.mongolock.internal.lease.LeaseRegistry.LossListener} and renewals through {@link
 * io.github.mongolock.internal.lease.LeaseRegistry.RenewalListener}, which the engine passes down.
 */
package io.github.mongolock.internal.lease;
