package io.github.mongolock.boot.actuate;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import io.github.mongolock.HeldLock;
import io.github.mongolock.LockAdmin;
import io.github.mongolock.LockMode;
import io.github.mongolock.LockState;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.aspect.MongoLocks;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.lang.Nullable;

/**
 * The {@code mongolocks} actuator endpoint: what this application holds, one lock's stored state,
 * and (only when its access is {@code unrestricted}) the forced release of a stuck lock.
 *
 * <table>
 *   <caption>Operations (web paths under {@code /actuator})</caption>
 *   <tr><th>Operation</th><th>Web</th><th>Answer</th></tr>
 *   <tr><td>{@link #overview()}</td><td>{@code GET mongolocks}</td><td>this JVM's client ID, the
 *       lock collection, the default wait and options, and the holds of this JVM's
 *       runtime</td></tr>
 *   <tr><td>{@link #lock(String)}</td><td>{@code GET mongolocks/{lockId}}</td><td>the lock
 *       document as stored, times by the server's clock; 404 when there is none</td></tr>
 *   <tr><td>{@link #release(String, String)}</td><td>{@code DELETE
 *       mongolocks/{lockId}[?clientId=...]}</td><td>the state before the release; 404 when there
 *       was nothing to release</td></tr>
 * </table>
 *
 * <p>The endpoint's default access is {@code READ_ONLY}: Boot then leaves the delete operation out
 * of every technology (web, JMX), so a forced release needs {@code
 * management.endpoint.mongolocks.access=unrestricted} on purpose. A forced release can break
 * exclusion (the evicted holder may still be working until its next renewal tells it the hold is
 * lost), which is why it is logged at WARN.
 *
 * <p>Times and durations are ISO-8601 strings ({@code 2026-12-01T10:15:30.120Z}, {@code PT30S}), so
 * the answer reads the same whichever JSON mapper the actuator uses (Jackson 2 in Boot 3.5, Jackson
 * 3 in Boot 4).
 */
@Endpoint(id = "mongolocks", defaultAccess = Access.READ_ONLY)
public class MongoLocksEndpoint {

  private static final Logger log = LoggerFactory.getLogger(MongoLocksEndpoint.class);

  private final MongoLocks locks;
  private final LockAdmin admin;

  /**
   * An endpoint over the application's locks.
   *
   * @param locks the application's {@link MongoLocks}: its collection, client ID, defaults and the
   *     runtime whose holds the overview lists
   */
  public MongoLocksEndpoint(MongoLocks locks) {
    this.locks = Objects.requireNonNull(locks, "locks");
    this.admin = new LockAdmin(locks.collection());
  }

  /**
   * This JVM's client ID, the lock collection, the defaults and the current holds.
   *
   * @return the overview
   */
  @ReadOperation
  public Overview overview() {
    List<Hold> holds = locks.runtime().heldLocks().stream().map(Hold::of).toList();
    return new Overview(
        locks.clientId(),
        locks.collection().getNamespace().getFullName(),
        Defaults.of(locks.defaultWaitTimeout(), locks.options()),
        holds);
  }

  /**
   * One lock's stored state.
   *
   * @param lockId the lock's ID
   * @return its state, or null (404 on the web) when no document exists for it
   */
  @ReadOperation
  public Lock lock(@Selector String lockId) {
    requireLockId(lockId);
    return admin.find(lockId).map(Lock::of).orElse(null);
  }

  /**
   * Forcibly releases a lock for every holder, or only {@code clientId}'s holds of it. Exposed only
   * when the endpoint's access is {@code unrestricted}.
   *
   * @param lockId the lock's ID
   * @param clientId the one holder to remove, or null for every holder
   * @return the release and the state before it, or null (404 on the web) when there was nothing to
   *     release
   */
  @DeleteOperation
  public Release release(@Selector String lockId, @Nullable String clientId) {
    requireLockId(lockId);
    if (clientId != null && clientId.isBlank()) {
      // a blank client would match no holder: a silent "nothing to release" would mislead
      throw new InvalidEndpointRequestException(
          "clientId is blank (lock: " + lockId + "): leave it out to release every holder",
          "clientId is blank");
    }
    var before =
        clientId == null ? admin.forceRelease(lockId) : admin.forceRelease(lockId, clientId);
    if (before.isEmpty()) {
      return null;
    }
    log.warn(
        "mongolocks endpoint: forced release of lock {} {} (requested by the application with"
            + " client ID {}); held before by {}",
        lockId,
        clientId == null ? "for every holder" : "for client " + clientId,
        locks.clientId(),
        before.get().holders().stream().map(LockState.Holder::clientID).toList());
    return new Release(lockId, clientId, Lock.of(before.get()));
  }

  private static void requireLockId(String lockId) {
    if (lockId == null || lockId.isBlank()) {
      throw new InvalidEndpointRequestException(
          "lock ID is " + (lockId == null ? "missing" : "blank"), "lockId is required");
    }
  }

  private static String iso(Instant instant) {
    return instant == null ? null : instant.toString();
  }

  private static String iso(Duration duration) {
    return duration == null ? null : duration.toString();
  }

  /**
   * The answer of {@link #overview()}.
   *
   * @param clientId the client ID this application locks under (asked of its {@code
   *     ClientIdProvider} now)
   * @param collection the lock collection, {@code database.collection}
   * @param defaults the wait and options of calls that name none
   * @param holds the holds of this JVM's runtime now, one per lock, client and mode
   */
  public record Overview(String clientId, String collection, Defaults defaults, List<Hold> holds) {}

  /**
   * The defaults of the application's locks.
   *
   * @param waitTimeout the wait of calls that name none
   * @param leaseTime the lease of calls that name none
   * @param renewInterval how often a hold's lease is renewed
   * @param commandTimeout the bound of each MongoDB command
   * @param sleepTime the longest pause between attempts of a waiting acquire
   * @param minSleepTime the shortest pause between attempts
   * @param writerPreference whether a waiting writer keeps new readers out
   * @param writerWaitingTtl how long a waiting writer's mark lasts unless refreshed
   * @param changeStreams whether waiters listen to change streams to wake early
   * @param ensureIndex whether the unique index on {@code lockID} is created on first use
   * @param writeConcern the {@code w} of lock writes ({@code majority}, a number, a tag set's name,
   *     or {@code default} for the server's), followed by {@code , journaled} when it also waits
   *     for the journal ({@code journaled} alone without a {@code w})
   * @param readConcern the read concern level of lock reads, or {@code default} for the server's
   */
  public record Defaults(
      String waitTimeout,
      String leaseTime,
      String renewInterval,
      String commandTimeout,
      String sleepTime,
      String minSleepTime,
      boolean writerPreference,
      String writerWaitingTtl,
      boolean changeStreams,
      boolean ensureIndex,
      String writeConcern,
      String readConcern) {

    static Defaults of(Duration waitTimeout, RWMutexOptions options) {
      return new Defaults(
          iso(waitTimeout),
          iso(options.leaseTime()),
          iso(options.renewInterval()),
          iso(options.commandTimeout()),
          iso(options.sleepTime()),
          iso(options.minSleepTime()),
          options.writerPreference(),
          iso(options.writerWaitingTtl()),
          options.changeStreams(),
          options.ensureIndex(),
          writeConcern(options.writeConcern()),
          readConcern(options.readConcern()));
    }

    /**
     * Its {@code w}, as the {@code mongo-lock.write-concern} property names it, and whether it
     * waits for the journal: {@code journaled} is the driver's {@code j: true} without a {@code w},
     * which {@code w} alone would show as the server's default.
     */
    static String writeConcern(WriteConcern concern) {
      Object w = concern.getWObject();
      boolean journaled = Boolean.TRUE.equals(concern.getJournal());
      if (w == null) {
        return journaled ? "journaled" : "default";
      }
      return journaled ? w + ", journaled" : w.toString();
    }

    /** Its level, as the {@code mongo-lock.read-concern} property names it. */
    private static String readConcern(ReadConcern concern) {
      return concern.getLevel() == null ? "default" : concern.getLevel().getValue();
    }
  }

  /**
   * One hold of this JVM.
   *
   * @param lockId the lock's ID
   * @param clientId the client it is held under
   * @param mode write or read
   * @param collection the lock collection, {@code database.collection}
   * @param holds how many holds of this JVM share it (threads and re-entries)
   */
  public record Hold(String lockId, String clientId, LockMode mode, String collection, int holds) {
    static Hold of(HeldLock held) {
      return new Hold(held.lockID(), held.clientID(), held.mode(), held.collection(), held.holds());
    }
  }

  /**
   * A lock document as stored, read by {@link LockAdmin}; times by the server's clock.
   *
   * @param lockId the lock's ID
   * @param writer the client holding the write lock, or null
   * @param readers the clients holding the read lock
   * @param holders every holder with its lease
   * @param writerWaiting a waiting writer's mark, or null
   * @param expiresAt the seed's absolute expiry, or null
   * @param fencingToken the last fencing token issued, or null
   * @param serverTime the server's clock when the document was read
   * @param problems the fields that could not be read as this library writes them (empty for a
   *     document this library or mongo-lock-node wrote)
   */
  public record Lock(
      String lockId,
      String writer,
      List<String> readers,
      List<Holder> holders,
      WriterWaiting writerWaiting,
      String expiresAt,
      Long fencingToken,
      String serverTime,
      List<String> problems) {

    static Lock of(LockState state) {
      return new Lock(
          state.lockID(),
          state.writer(),
          state.readers(),
          state.holders().stream()
              .map(h -> new Holder(h.clientID(), h.mode(), iso(h.leaseExpiresAt())))
              .toList(),
          state.writerWaiting() == null
              ? null
              : new WriterWaiting(
                  state.writerWaiting().clientID(), iso(state.writerWaiting().lapsesAt())),
          iso(state.expiresAt()),
          state.fencingToken(),
          iso(state.serverTime()),
          state.problems());
    }
  }

  /**
   * One holder's entry.
   *
   * @param clientId the holding client
   * @param mode the mode it holds
   * @param leaseExpiresAt when its lease runs out unless renewed, or null for an entry without a
   *     lease (written by the seed)
   */
  public record Holder(String clientId, LockMode mode, String leaseExpiresAt) {}

  /**
   * A waiting writer's mark.
   *
   * @param clientId the waiting writer
   * @param lapsesAt when the mark lapses unless refreshed
   */
  public record WriterWaiting(String clientId, String lapsesAt) {}

  /**
   * The answer of {@link #release(String, String)}.
   *
   * @param lockId the released lock
   * @param clientId the holder removed, or null when every holder was
   * @param before the lock's state before the release
   */
  public record Release(String lockId, String clientId, Lock before) {}
}
