package io.github.mongolock;

import com.mongodb.client.MongoCollection;
import java.util.List;
import java.util.Optional;
import org.bson.Document;

/**
 * Operations for people who look after a lock collection: list its locks, read one, and
 * force-release a lock or one of its holders (for a holder that is stuck but still renewing). The
 * seed's override operations stay on {@link RWMutex}.
 *
 * <p>A forced release removes the holder's entry from the lock document; the holder's process finds
 * out at its next renewal or unlock ({@link LockLostListener}, {@link LockLostException}). Fencing
 * counters are never touched, so tokens issued after a forced release are still larger than those
 * before it.
 */
public final class LockAdmin {

  private final MongoCollection<Document> collection;

  /**
   * Administers the locks of {@code collection}.
   *
   * @param collection the lock collection
   */
  public LockAdmin(MongoCollection<Document> collection) {
    this.collection = collection;
  }

  /**
   * The locks of the collection, by lock ID, at most {@code limit} of them.
   *
   * @param limit the most locks to return, positive
   * @return the locks' states
   */
  public List<LockState> list(int limit) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * One lock's state.
   *
   * @param lockID the lock's ID
   * @return its state, or empty when no document exists for it
   */
  public Optional<LockState> find(String lockID) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Releases the lock for every holder.
   *
   * @param lockID the lock's ID
   * @return the state before the release, or empty when there was no lock to release
   */
  public Optional<LockState> forceRelease(String lockID) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Releases one client's holds of the lock (write and read), leaving other holders alone.
   *
   * @param lockID the lock's ID
   * @param clientID the holder to remove
   * @return the state before the release, or empty when that client held nothing
   */
  public Optional<LockState> forceRelease(String lockID, String clientID) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  @Override
  public String toString() {
    return "LockAdmin{" + collection.getNamespace() + "}";
  }
}
