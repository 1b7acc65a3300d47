package io.github.mongolock;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import io.github.mongolock.internal.store.AdminStore;
import io.github.mongolock.internal.store.LockCommand;
import io.github.mongolock.internal.store.LockCommands;
import io.github.mongolock.internal.store.LockDocument;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bson.Document;

/**
 * Operations for people who look after a lock collection: list its locks, read one, and
 * force-release a lock or one of its holders (for a holder that is stuck but still renewing). The
 * seed's override operations stay on {@link RWMutex}.
 *
 * <p>A forced release removes the holder's entry from the lock document; the holder's process finds
 * out at its next renewal or unlock ({@link LockLostListener}, {@link LockLostException}); a client
 * whose process has another client holding the same lock (one lease session for both) finds out at
 * its unlock only, since the heartbeat renews per lock document and session. Fencing counters are
 * never touched, so tokens issued after a forced release are still larger than those before it.
 *
 * <p>Every command goes to the primary with majority read and write concern, whatever the given
 * collection's settings are; none upserts. A failure of MongoDB's comes as {@link
 * MongoLockException} naming the lock (and the client) with the driver's exception as its cause;
 * bad arguments as {@link IllegalArgumentException}, before anything is sent. Times in {@link
 * LockState} are by the server's clock ({@code $$NOW}, read in the same command as the documents).
 *
 * <ol>
 *   <li>{@link #list} and {@link #find}: one aggregation for the lock documents with the server's
 *       clock, then one query for their fencing counters.
 *   <li>{@link #forceRelease(String)}: reads the lock (for the server's clock), then deletes its
 *       document with one {@code findOneAndDelete}, whose before-image is the state returned. The
 *       lock is then free for any client at once; its waiting writers lose their mark and mark
 *       again.
 *   <li>{@link #forceRelease(String, String)}: reads the lock, then sends one {@code
 *       findOneAndUpdate} that removes only that client's write role, reader entry, lease entries
 *       and the leases no other entry needs, and returns the before-image. Its filter pins what the
 *       update relies on (whether the client is the writer, that no other client shares a session
 *       whose lease goes); where the document changed that way in between, it reads again.
 * </ol>
 *
 * <p>The state returned by a forced release is the document just before the release, with the
 * server's clock of the read that preceded it (at most one round trip earlier).
 */
public final class LockAdmin {

  /** Tries of a one-client release whose document keeps changing between its read and write. */
  static final int FORCE_RELEASE_TRIES = 16;

  private final MongoCollection<Document> collection;
  private final AdminStore store;

  /**
   * Administers the locks of {@code collection}.
   *
   * @param collection the lock collection
   */
  public LockAdmin(MongoCollection<Document> collection) {
    if (collection == null) {
      throw new IllegalArgumentException("LockAdmin needs a lock collection, not null");
    }
    this.collection = collection;
    this.store = new AdminStore(collection);
  }

  /**
   * The locks of the collection, by lock ID, at most {@code limit} of them.
   *
   * @param limit the most locks to return, positive
   * @return the locks' states
   */
  public List<LockState> list(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException(
          "list of the locks of "
              + collection.getNamespace()
              + ": limit must be 1 or more, not "
              + limit);
    }
    try {
      AdminStore.Read read = store.locks(limit);
      List<String> ids = new ArrayList<>();
      read.documents().forEach(d -> ids.add(d.getString(LockDocument.LOCK_ID)));
      Map<String, Long> tokens = store.fencingTokens(ids);
      List<LockState> states = new ArrayList<>();
      for (Document d : read.documents()) {
        String lockID = d.getString(LockDocument.LOCK_ID);
        states.add(state(lockID, d, read.serverTime(), tokens.get(lockID)));
      }
      return List.copyOf(states);
    } catch (MongoException e) {
      throw failure("error listing the locks of " + collection.getNamespace(), null, null, e);
    }
  }

  /**
   * One lock's state.
   *
   * @param lockID the lock's ID
   * @return its state, or empty when no document exists for it
   */
  public Optional<LockState> find(String lockID) {
    requireID("find", lockID, null);
    try {
      AdminStore.Read read = store.lock(lockID);
      if (read.documents().isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(
          state(lockID, read.documents().get(0), read.serverTime(), fencingToken(lockID)));
    } catch (MongoException e) {
      throw failure("error reading lock " + lockID, lockID, null, e);
    }
  }

  /**
   * Releases the lock for every holder.
   *
   * @param lockID the lock's ID
   * @return the state before the release, or empty when there was no lock to release
   */
  public Optional<LockState> forceRelease(String lockID) {
    requireID("forceRelease", lockID, null);
    try {
      AdminStore.Read read = store.lock(lockID);
      if (read.documents().isEmpty()) {
        return Optional.empty(); // nothing to release when it was read: no write at all
      }
      Document before = store.forceRelease(LockCommands.forceRelease(lockID));
      if (before == null) {
        return Optional.empty(); // released by its holders meanwhile
      }
      return Optional.of(state(lockID, before, read.serverTime(), fencingToken(lockID)));
    } catch (MongoException e) {
      throw failure("error force-releasing lock " + lockID, lockID, null, e);
    }
  }

  /**
   * Releases one client's holds of the lock (write and read), leaving other holders alone.
   *
   * @param lockID the lock's ID
   * @param clientID the holder to remove
   * @return the state before the release, or empty when that client held nothing
   */
  public Optional<LockState> forceRelease(String lockID, String clientID) {
    requireID("forceRelease", lockID, clientID);
    if (clientID == null || clientID.isBlank()) {
      throw new IllegalArgumentException(
          "forceRelease of lock "
              + lockID
              + ": the client ID must be a non-blank string, not "
              + quoted(clientID));
    }
    try {
      for (int tries = 1; tries <= FORCE_RELEASE_TRIES; tries++) {
        AdminStore.Read read = store.lock(lockID);
        if (read.documents().isEmpty()) {
          return Optional.empty();
        }
        Document observed = read.documents().get(0);
        refuseUnreadableHolders(lockID, clientID, observed);
        LockCommand release = LockCommands.forceReleaseClient(lockID, clientID, observed);
        if (release == null) {
          return Optional.empty(); // neither its writer nor one of its readers
        }
        Document before = store.forceRelease(release);
        if (before != null) {
          LockState state = state(lockID, before, read.serverTime(), fencingToken(lockID));
          boolean held = clientID.equals(state.writer()) || state.readers().contains(clientID);
          // it may have released by itself between the read and the write: nothing of its was
          // held any more, so there was no hold to report
          return held ? Optional.of(state) : Optional.empty();
        }
        // the client became or stopped being the writer, a client of its session joined, or the
        // document went: read again
      }
    } catch (MongoException e) {
      throw failure(
          "error force-releasing client " + clientID + " of lock " + lockID, lockID, clientID, e);
    }
    throw new MongoLockException(
        "error force-releasing client "
            + clientID
            + " of lock "
            + lockID
            + ": the lock document changed between the read and the release "
            + FORCE_RELEASE_TRIES
            + " times in a row; try again (client: "
            + clientID
            + ")",
        lockID,
        clientID,
        null);
  }

  @Override
  public String toString() {
    return "LockAdmin{" + collection.getNamespace() + "}";
  }

  // ------------------------------------------------------------------------------- reading

  private Long fencingToken(String lockID) {
    return store.fencingTokens(List.of(lockID)).get(lockID);
  }

  /**
   * The state of one stored document. Only values of the types this library writes are read; the
   * others read as absent and are named in {@link LockState#problems()}.
   */
  private static LockState state(String lockID, Document doc, Date serverTime, Long token) {
    LockDocument view = LockDocument.of(doc);
    List<String> problems = new ArrayList<>(view.problems());
    problems.addAll(view.nullFields());

    String writer = view.writer().isEmpty() ? null : view.writer();
    List<String> readers = new ArrayList<>();
    if (doc.get(LockDocument.READERS) instanceof List<?> stored) {
      for (Object r : stored) {
        if (r instanceof String s && !readers.contains(s)) {
          readers.add(s);
        }
      }
    }

    // each client's lease runs out when the last of its sessions' leases does
    Map<String, List<String>> sessionsByClient = new LinkedHashMap<>();
    if (doc.get(LockDocument.HOLDERS) instanceof List<?> entries) {
      for (Object o : entries) {
        if (o instanceof Document e
            && e.get(LockDocument.HOLDER_CLIENT) instanceof String c
            && e.get(LockDocument.HOLDER_SESSION) instanceof String s) {
          sessionsByClient.computeIfAbsent(c, k -> new ArrayList<>()).add(s);
        }
      }
    }
    Map<String, Instant> leaseEnds = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> client : sessionsByClient.entrySet()) {
      Long end = null;
      for (String session : client.getValue()) {
        LockDocument.Lease lease = view.lease(session);
        if (lease != null) {
          end = end == null ? lease.endMillis() : Math.max(end, lease.endMillis());
        }
      }
      if (end == null) {
        problems.add(
            "holder "
                + client.getKey()
                + " has lease entries of sessions "
                + client.getValue()
                + " without a usable lease (the lock's rules treat it as expired)");
      } else {
        leaseEnds.put(client.getKey(), Instant.ofEpochMilli(end));
      }
    }
    List<LockState.Holder> holders = new ArrayList<>();
    if (writer != null) {
      holders.add(new LockState.Holder(writer, LockMode.WRITE, leaseEnds.get(writer)));
    }
    for (String reader : readers) {
      holders.add(new LockState.Holder(reader, LockMode.READ, leaseEnds.get(reader)));
    }

    LockState.WriterWaiting waiting = null;
    LockDocument.WaitingMark mark = view.writerWaiting();
    if (mark != null) {
      Instant lapses =
          mark.at() == null || mark.ttlMs() == null
              ? null
              : Instant.ofEpochMilli(mark.at().getTime() + mark.ttlMs());
      if (mark.client() == null || lapses == null) {
        problems.add(
            LockDocument.WRITER_WAITING
                + " lacks a usable client, at or ttlMs, expected {client: string, at: date, ttlMs:"
                + " number} (the lock's rules treat it as lapsed)");
      }
      waiting = new LockState.WriterWaiting(mark.client(), lapses);
    }
    return new LockState(
        lockID,
        writer,
        readers,
        holders,
        waiting,
        view.expiresAt() == null ? null : view.expiresAt().toInstant(),
        token,
        serverTime.toInstant(),
        problems);
  }

  // ------------------------------------------------------------------------------- input

  private static void requireID(String operation, String lockID, String clientID) {
    if (lockID == null || lockID.isBlank()) {
      throw new IllegalArgumentException(
          operation
              + ": the lock ID must be a non-blank string, not "
              + quoted(lockID)
              + (clientID == null ? "" : " (client: " + clientID + ")"));
    }
  }

  private static String quoted(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  /**
   * A one-client release pulls from {@code readers} and {@code holders}; mongod refuses {@code
   * $pull} on a field that holds anything but an array (2 BadValue "Cannot apply $pull to a
   * non-array value"), so such a document is refused before anything is sent. The release of every
   * holder ({@link #forceRelease(String)}) deletes the document whatever it holds.
   */
  private static void refuseUnreadableHolders(String lockID, String clientID, Document observed) {
    List<String> wrong = new ArrayList<>();
    for (String field : List.of(LockDocument.READERS, LockDocument.HOLDERS)) {
      Object value = observed.get(field);
      if (value != null && !(value instanceof List)) {
        wrong.add(field + " is " + new Document(field, value).toJson() + ", expected an array");
      }
    }
    if (!wrong.isEmpty()) {
      throw new MongoLockException(
          "cannot force-release client "
              + clientID
              + " of lock "
              + lockID
              + ": the lock document has fields of the wrong type ("
              + String.join("; ", wrong)
              + "); forceRelease(\""
              + lockID
              + "\") removes the whole lock (client: "
              + clientID
              + ")",
          lockID,
          clientID,
          null);
    }
  }

  private static MongoLockException failure(
      String what, String lockID, String clientID, MongoException cause) {
    return new MongoLockException(
        what + ": " + cause.getMessage() + (clientID == null ? "" : " (client: " + clientID + ")"),
        lockID,
        clientID,
        cause);
  }
}
