package io.github.mongolock;

import java.time.Instant;
import java.util.List;

/**
 * One lock as stored in MongoDB, read by {@link LockAdmin}. Times are by the server's clock, the
 * clock the lock's rules judge leases by: compare {@link Holder#leaseExpiresAt()} with {@link
 * #serverTime()}, not with this JVM's clock.
 *
 * <p>A document with fields of types this library does not write (edited by hand, or by another
 * program) is still reported: what can be read is filled in, what cannot reads as absent, and
 * {@link #problems()} says which field was what.
 *
 * @param lockID the lock's ID
 * @param writer the client holding the write lock, or null
 * @param readers the clients holding the read lock (empty when none)
 * @param holders every holder, with its mode and lease: the writer first, then the readers in
 *     stored order (a client that downgraded holds both modes and is listed twice)
 * @param writerWaiting the mark of a writer waiting for the lock, or null
 * @param expiresAt the seed's absolute expiry stored on the document, or null
 * @param fencingToken the last fencing token issued for this lock, or null if none was
 * @param serverTime the server's clock when this state was read
 * @param problems the fields that could not be read as this library writes them, each as "field is
 *     value, expected type" (empty for every document this library or mongo-lock-node wrote)
 */
public record LockState(
    String lockID,
    String writer,
    List<String> readers,
    List<Holder> holders,
    WriterWaiting writerWaiting,
    Instant expiresAt,
    Long fencingToken,
    Instant serverTime,
    List<String> problems) {

  /** Checks the lock ID and copies the lists. */
  public LockState {
    if (lockID == null || lockID.isBlank()) {
      throw new IllegalArgumentException("a lock state needs a lock ID, not " + lockID);
    }
    if (serverTime == null) {
      throw new IllegalArgumentException("lock " + lockID + ": a lock state needs a server time");
    }
    readers = List.copyOf(readers);
    holders = List.copyOf(holders);
    problems = List.copyOf(problems);
  }

  /**
   * A state without problems.
   *
   * @param lockID the lock's ID
   * @param writer the writer, or null
   * @param readers the readers
   * @param holders the holders
   * @param writerWaiting the waiting writer's mark, or null
   * @param expiresAt the seed's expiry, or null
   * @param fencingToken the last fencing token, or null
   * @param serverTime the server's clock
   */
  public LockState(
      String lockID,
      String writer,
      List<String> readers,
      List<Holder> holders,
      WriterWaiting writerWaiting,
      Instant expiresAt,
      Long fencingToken,
      Instant serverTime) {
    this(
        lockID,
        writer,
        readers,
        holders,
        writerWaiting,
        expiresAt,
        fencingToken,
        serverTime,
        List.of());
  }

  /** True when nobody holds the lock (a document can stay behind, for example with a mark). */
  public boolean isFree() {
    return writer == null && readers.isEmpty();
  }

  /**
   * One holder's entry.
   *
   * @param clientID the holding client
   * @param mode the mode it holds
   * @param leaseExpiresAt when its lease runs out unless renewed (server clock), or null for an
   *     entry without a lease (written by a client that does not keep leases, such as the seed)
   */
  public record Holder(String clientID, LockMode mode, Instant leaseExpiresAt) {

    /** Checks the client and mode. */
    public Holder {
      if (clientID == null || mode == null) {
        throw new IllegalArgumentException(
            "a holder needs a client and a mode, not " + clientID + " / " + mode);
      }
    }
  }

  /**
   * A waiting writer's mark, which keeps new readers out until it lapses.
   *
   * @param clientID the waiting writer
   * @param lapsesAt when the mark lapses unless refreshed (server clock), or null when the stored
   *     mark has no usable time (the lock's rules then treat it as lapsed)
   */
  public record WriterWaiting(String clientID, Instant lapsesAt) {}
}
