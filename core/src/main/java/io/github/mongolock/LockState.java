package io.github.mongolock;

import java.time.Instant;
import java.util.List;

/**
 * One lock as stored in MongoDB, read by {@link LockAdmin}. Times are by the server's clock.
 *
 * @param lockID the lock's ID
 * @param writer the client holding the write lock, or null
 * @param readers the clients holding the read lock (empty when none)
 * @param holders every holder's entry with its lease
 * @param writerWaiting the mark of a writer waiting for the lock, or null
 * @param expiresAt the seed's absolute expiry stored on the document, or null
 * @param fencingToken the last fencing token issued for this lock, or null if none was
 * @param serverTime the server's clock when this state was read
 */
public record LockState(
    String lockID,
    String writer,
    List<String> readers,
    List<Holder> holders,
    WriterWaiting writerWaiting,
    Instant expiresAt,
    Long fencingToken,
    Instant serverTime) {

  /** Copies the lists. */
  public LockState {
    readers = List.copyOf(readers);
    holders = List.copyOf(holders);
  }

  /**
   * One holder's entry.
   *
   * @param clientID the holding client
   * @param mode the mode it holds
   * @param leaseExpiresAt when its lease runs out unless renewed (server clock), or null for an
   *     entry without a lease (written by a client that does not keep leases, such as the seed)
   */
  public record Holder(String clientID, LockMode mode, Instant leaseExpiresAt) {}

  /**
   * A waiting writer's mark, which keeps new readers out until it lapses.
   *
   * @param clientID the waiting writer
   * @param lapsesAt when the mark lapses unless refreshed (server clock)
   */
  public record WriterWaiting(String clientID, Instant lapsesAt) {}
}
