package io.github.mongolock.internal.store;

import static io.github.mongolock.internal.store.LockDocument.EXPIRES_AT;
import static io.github.mongolock.internal.store.LockDocument.FENCE;
import static io.github.mongolock.internal.store.LockDocument.FENCING_COUNTER;
import static io.github.mongolock.internal.store.LockDocument.HOLDERS;
import static io.github.mongolock.internal.store.LockDocument.HOLDER_CLIENT;
import static io.github.mongolock.internal.store.LockDocument.HOLDER_SESSION;
import static io.github.mongolock.internal.store.LockDocument.HOLDER_SESSION_PATH;
import static io.github.mongolock.internal.store.LockDocument.ID;
import static io.github.mongolock.internal.store.LockDocument.LOCK_ID;
import static io.github.mongolock.internal.store.LockDocument.READERS;
import static io.github.mongolock.internal.store.LockDocument.TOKEN;
import static io.github.mongolock.internal.store.LockDocument.WAITING_AT;
import static io.github.mongolock.internal.store.LockDocument.WAITING_CLIENT;
import static io.github.mongolock.internal.store.LockDocument.WAITING_TTL;
import static io.github.mongolock.internal.store.LockDocument.WRITER;
import static io.github.mongolock.internal.store.LockDocument.WRITER_WAITING;
import static io.github.mongolock.internal.store.LockDocument.leaseAtPath;
import static io.github.mongolock.internal.store.LockDocument.leaseMsPath;
import static io.github.mongolock.internal.store.LockDocument.leasePath;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.github.mongolock.internal.store.LockCommand.Kind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * Every command the lock sends to MongoDB, as data: one method per rule, each returning the
 * rendered filter and update. Pure (no I/O); {@link LockProtocol} sends them. One instance per
 * lock, client and session; the commands that never change are rendered once, on first use.
 *
 * <p>Two constraints of real mongod (4.4 to 8.x) shape the acquires:
 *
 * <ul>
 *   <li>An upsert's query must not contain {@code $expr} anywhere (224 QueryFeatureNotAllowed), so
 *       no upsert can compare with the server's clock ({@code $$NOW}). Each acquire is therefore
 *       two commands of which usually only the first is sent: an upsert whose filter states "free"
 *       with plain operators only (it inserts the document when the lock does not exist, which is
 *       the uncontended case, since the last release deletes it), and, when that upsert meets a
 *       document it does not match (duplicate key 11000), a non-upsert "clock-aware" update with
 *       the whole rule, which may judge {@code expiresAt} and lapsed writer-waiting marks with
 *       {@code $$NOW}.
 *   <li>mongod turns an upsert's 11000 into an update of the existing document by itself when the
 *       query is only equality on the unique index's key (4.2+; src/mongo/db/exec/update_stage.cpp
 *       {@code shouldRetryDuplicateKeyException} in 4.4, src/mongo/db/ops/write_ops_exec.cpp from
 *       5.0). Every acquire filter states the "free" condition beside {@code lockID}, so that a
 *       held lock is never taken that way. Only the fencing counter relies on that retry.
 * </ul>
 *
 * <p>The rules (see {@link LockDocument} for the fields):
 *
 * <ol>
 *   <li>Write acquire, upsert: no readers, and either this client is the writer already (a resend
 *       of an acquire whose reply was lost, or the seed's re-entry) or the writer is empty with no
 *       waiting mark but this client's. Clock-aware: the same with another writer's mark allowed
 *       once lapsed, or {@code expiresAt} passed. Sets writer, empties readers, clears the mark and
 *       the fence, makes this client the only lease entry and stamps its session's lease with
 *       {@code $currentDate}.
 *   <li>Read acquire, upsert: writer empty or this client (downgrade), no {@code expiresAt} date,
 *       and (with writer preference) no other writer's mark unless this client already holds.
 *       Clock-aware: {@code expiresAt} not passed, another writer's lapsed mark allowed. Adds this
 *       client to readers and its lease entry, stamps the lease.
 *   <li>Read takeover: where {@code expiresAt} has passed, replace every holder by this reader.
 *   <li>Eviction: where every named session's lease has expired by {@code $$NOW} and the evicted
 *       clients have no entry of another session, pull those sessions' entries and leases and the
 *       clients that had only those from writer and readers.
 *   <li>Release: delete where this client is the only holder and nobody waits; otherwise clear this
 *       client's mode, and pull its entry of this session unless it still holds the other mode; the
 *       session's lease key goes with its last entry.
 *   <li>Fencing token: {@code $inc} the lock's counter document, then stamp the token where this
 *       client is still the writer with an unexpired lease of this session.
 *   <li>Forced release (an administrator's, {@link AdminStore}): delete the document whatever it
 *       holds; or, for one client, clear its write role, reader entry, lease entries and the leases
 *       no other entry needs. Neither touches the fencing counter.
 * </ol>
 */
public final class LockCommands {

  private final String lockID;
  private final String clientID;
  private final String sessionID;
  private final long leaseMillis;
  private final Date expiresAt;
  private final long writerWaitingTtlMillis;
  private final boolean writerPreference;
  private final Document entry;

  private volatile Acquire write;
  private volatile Acquire read;

  /**
   * @param expiresAt the seed's absolute expiry to store, or null
   */
  public LockCommands(
      String lockID,
      String clientID,
      String sessionID,
      long leaseMillis,
      Date expiresAt,
      long writerWaitingTtlMillis,
      boolean writerPreference) {
    this.lockID = lockID;
    this.clientID = clientID;
    this.sessionID = sessionID;
    this.leaseMillis = leaseMillis;
    this.expiresAt = expiresAt;
    this.writerWaitingTtlMillis = writerWaitingTtlMillis;
    this.writerPreference = writerPreference;
    this.entry = new Document(HOLDER_CLIENT, clientID).append(HOLDER_SESSION, sessionID);
  }

  public String lockID() {
    return lockID;
  }

  public String clientID() {
    return clientID;
  }

  public String sessionID() {
    return sessionID;
  }

  /**
   * The two commands of one acquire: the upsert, sent first, and the clock-aware update, sent when
   * the upsert met a document it does not match. Both are safe to resend: applied twice they leave
   * the same state and both report a match.
   */
  public static final class Acquire {
    private final LockCommand upsert;
    private final Supplier<LockCommand> renderClockAware;
    private volatile LockCommand clockAware;

    Acquire(LockCommand upsert, Supplier<LockCommand> renderClockAware) {
      this.upsert = upsert;
      this.renderClockAware = renderClockAware;
    }

    public LockCommand upsert() {
      return upsert;
    }

    /** Rendered on first use: most mutexes never need it (a race renders twice, harmlessly). */
    public LockCommand clockAware() {
      LockCommand c = clockAware;
      if (c == null) {
        c = renderClockAware.get();
        clockAware = c;
      }
      return c;
    }
  }

  // ---------------------------------------------------------------------------- plain filters

  private Bson lock() {
    return Filters.eq(LOCK_ID, lockID);
  }

  /** {@code readers} is empty, null or missing. */
  private static Bson noReaders() {
    return Filters.or(Filters.size(READERS, 0), Filters.eq(READERS, null));
  }

  /** Nobody writes ("", null or missing), or one of {@code clients} does. */
  private static Bson writerEmptyOr(String... clients) {
    List<Bson> any = new ArrayList<>();
    any.add(Filters.eq(WRITER, null));
    any.add(Filters.eq(WRITER, ""));
    for (String client : clients) {
      any.add(Filters.eq(WRITER, client));
    }
    return Filters.or(any);
  }

  /** No waiting mark, or this client's. */
  private Bson noMarkOrMine() {
    return Filters.or(Filters.exists(WRITER_WAITING, false), Filters.eq(WAITING_CLIENT, clientID));
  }

  /** This session has no entry of another client on the document. */
  private Bson noOtherEntryOfSession() {
    return Filters.not(
        Filters.elemMatch(
            HOLDERS,
            Filters.and(
                Filters.eq(HOLDER_SESSION, sessionID), Filters.ne(HOLDER_CLIENT, clientID))));
  }

  private Bson ownEntry() {
    return Filters.elemMatch(
        HOLDERS,
        Filters.and(Filters.eq(HOLDER_CLIENT, clientID), Filters.eq(HOLDER_SESSION, sessionID)));
  }

  // ------------------------------------------------------------------ clock filters ($$NOW)

  private static Bson expired(String dateField) {
    return Filters.and(
        Filters.type(dateField, "date"),
        Filters.expr(new Document("$lt", List.of("$" + dateField, "$$NOW"))));
  }

  private static Bson notExpired() {
    return Filters.or(
        Filters.not(Filters.type(EXPIRES_AT, "date")),
        Filters.expr(new Document("$gte", List.of("$" + EXPIRES_AT, "$$NOW"))));
  }

  /** No waiting mark, this client's, or another writer's that has lapsed by the server's clock. */
  private Bson noOtherWaitingWriter() {
    return Filters.or(
        Filters.exists(WRITER_WAITING, false),
        Filters.eq(WAITING_CLIENT, clientID),
        Filters.expr(
            new Document(
                "$lt",
                List.of(
                    new Document("$add", List.of("$" + WAITING_AT, "$" + WAITING_TTL)), "$$NOW"))));
  }

  private static Document leaseEnd(String session) {
    return new Document("$add", List.of("$" + leaseAtPath(session), "$" + leaseMsPath(session)));
  }

  /** The session's lease on the document has not expired by the server's clock. */
  static Bson leaseAlive(String session) {
    return Filters.expr(new Document("$gte", List.of(leaseEnd(session), "$$NOW")));
  }

  /** The session's lease has expired by the server's clock (a missing lease counts as expired). */
  static Bson leaseExpired(String session) {
    return Filters.expr(new Document("$lt", List.of(leaseEnd(session), "$$NOW")));
  }

  // ---------------------------------------------------------------------------- updates

  /** Stamps this session's lease with the server's clock. */
  private Bson stampLease() {
    return Updates.combine(
        Updates.set(leaseMsPath(sessionID), leaseMillis),
        Updates.currentDate(leaseAtPath(sessionID)));
  }

  private Bson expiresAtUpdate() {
    return expiresAt == null ? Updates.unset(EXPIRES_AT) : Updates.set(EXPIRES_AT, expiresAt);
  }

  /** Makes this client the only holder in {@code mode}; used by write acquire and read takeover. */
  private Bson becomeOnlyHolder(boolean write) {
    return Updates.combine(
        Updates.set(WRITER, write ? clientID : ""),
        Updates.set(READERS, write ? List.of() : List.of(clientID)),
        Updates.unset(WRITER_WAITING),
        Updates.unset(FENCE),
        Updates.set(HOLDERS, List.of(entry)),
        stampLease(),
        expiresAtUpdate(),
        // documents this library inserts take _id = lockID (see LockDocument); a no-op on updates
        Updates.setOnInsert(ID, lockID));
  }

  // ---------------------------------------------------------------------------- acquire

  /** Rule 1: the write acquire. */
  public Acquire writeAcquire() {
    Acquire a = write;
    if (a == null) {
      Bson update = becomeOnlyHolder(true);
      a =
          new Acquire(
              command(
                  "write acquire",
                  Kind.UPDATE_ONE,
                  Filters.and(
                      lock(),
                      noReaders(),
                      Filters.or(
                          Filters.eq(WRITER, clientID),
                          Filters.and(writerEmptyOr(), noMarkOrMine()))),
                  update,
                  true,
                  true),
              () ->
                  command(
                      "write acquire (clock-aware)",
                      Kind.UPDATE_ONE,
                      Filters.and(
                          lock(),
                          Filters.or(
                              Filters.and(
                                  noReaders(),
                                  Filters.or(
                                      Filters.eq(WRITER, clientID),
                                      Filters.and(writerEmptyOr(), noOtherWaitingWriter()))),
                              expired(EXPIRES_AT))),
                      update,
                      false,
                      true));
      write = a;
    }
    return a;
  }

  /** Rule 2: the read acquire. */
  public Acquire readAcquire() {
    Acquire a = read;
    if (a == null) {
      List<Bson> updates = new ArrayList<>();
      updates.add(Updates.addToSet(READERS, clientID));
      updates.add(Updates.addToSet(HOLDERS, entry));
      updates.add(stampLease());
      updates.add(Updates.setOnInsert(ID, lockID));
      updates.add(Updates.setOnInsert(WRITER, ""));
      if (expiresAt != null) {
        updates.add(Updates.setOnInsert(EXPIRES_AT, expiresAt));
      }
      Bson update = Updates.combine(updates);
      Bson alreadyHolds = Filters.or(Filters.eq(READERS, clientID), Filters.eq(WRITER, clientID));
      Bson plainWaiting =
          writerPreference
              ? Filters.or(
                  Filters.exists(WRITER_WAITING, false),
                  Filters.eq(WAITING_CLIENT, clientID),
                  Filters.eq(READERS, clientID),
                  Filters.eq(WRITER, clientID))
              : new Document();
      Bson clockWaiting =
          writerPreference ? Filters.or(noOtherWaitingWriter(), alreadyHolds) : new Document();
      a =
          new Acquire(
              command(
                  "read acquire",
                  Kind.UPDATE_ONE,
                  Filters.and(
                      lock(),
                      writerEmptyOr(clientID),
                      Filters.not(Filters.type(EXPIRES_AT, "date")),
                      plainWaiting),
                  update,
                  true,
                  true),
              () ->
                  command(
                      "read acquire (clock-aware)",
                      Kind.UPDATE_ONE,
                      Filters.and(lock(), writerEmptyOr(clientID), notExpired(), clockWaiting),
                      update,
                      false,
                      true));
      read = a;
    }
    return a;
  }

  /**
   * Rule 3: takes over a lock whose {@code expiresAt} has passed, as its only reader. Not safe to
   * resend: once applied, {@code expiresAt} no longer matches, so a resend would report "not
   * taken".
   */
  public LockCommand readTakeover() {
    return command(
        "read takeover",
        Kind.UPDATE_ONE,
        Filters.and(lock(), expired(EXPIRES_AT)),
        becomeOnlyHolder(false),
        false,
        false);
  }

  /**
   * Rule 4: evicts the holders whose leases, as read in {@code observed}, belong only to {@code
   * expiredSessions}; the filter checks with the server's clock that each of those leases has
   * expired, so a holder that renewed meanwhile is never evicted. Not resent: it is a chore of a
   * waiting acquire, whose next attempt decides anyway. Null when there is nothing to evict.
   */
  public LockCommand evict(LockDocument observed, Set<String> expiredSessions) {
    if (expiredSessions.isEmpty()) {
      return null;
    }
    Set<String> affected = new LinkedHashSet<>();
    Set<String> keep = new LinkedHashSet<>();
    for (LockDocument.Holder holder : observed.holders()) {
      (expiredSessions.contains(holder.session()) ? affected : keep).add(holder.client());
    }
    affected.removeAll(keep);
    List<Bson> filter = new ArrayList<>();
    List<Bson> update = new ArrayList<>();
    filter.add(lock());
    List<String> sessions = new ArrayList<>(expiredSessions);
    for (String session : sessions) {
      filter.add(leaseExpired(session));
      update.add(Updates.unset(leasePath(session)));
    }
    update.add(Updates.pull(HOLDERS, new Document(HOLDER_SESSION, new Document("$in", sessions))));
    for (String client : affected) {
      // the client gained no lease of another session since it was read
      filter.add(
          Filters.not(
              Filters.elemMatch(
                  HOLDERS,
                  Filters.and(
                      Filters.eq(HOLDER_CLIENT, client), Filters.nin(HOLDER_SESSION, sessions)))));
      if (client.equals(observed.writer())) {
        filter.add(Filters.eq(WRITER, client));
        update.add(Updates.set(WRITER, ""));
        update.add(Updates.unset(FENCE));
      }
    }
    if (!affected.isEmpty()) {
      update.add(Updates.pullAll(READERS, new ArrayList<>(affected)));
    }
    return command(
        "evict expired",
        Kind.UPDATE_ONE,
        Filters.and(filter),
        Updates.combine(update),
        false,
        false);
  }

  /**
   * Removes {@code leases} keys that no entry names (left when a takeover or an acquire replaced
   * the entries), where still no entry names them: a session that meanwhile gained an entry keeps
   * its lease. Null when there is none. Resending is harmless; it is not resent.
   */
  public LockCommand sweepOrphanLeases(Set<String> orphans) {
    if (orphans.isEmpty()) {
      return null;
    }
    List<Bson> unset = new ArrayList<>();
    orphans.forEach(s -> unset.add(Updates.unset(leasePath(s))));
    return command(
        "sweep orphan leases",
        Kind.UPDATE_ONE,
        Filters.and(lock(), Filters.nin(HOLDER_SESSION_PATH, new ArrayList<>(orphans))),
        Updates.combine(unset),
        false,
        false);
  }

  /**
   * Marks that this client waits for the write lock (server clock); refreshing it is idempotent.
   */
  public LockCommand markWriterWaiting() {
    return command(
        "mark writer waiting",
        Kind.UPDATE_ONE,
        Filters.and(lock(), noOtherWaitingWriter()),
        Updates.combine(
            Updates.set(WAITING_CLIENT, clientID),
            Updates.set(WAITING_TTL, writerWaitingTtlMillis),
            Updates.currentDate(WAITING_AT)),
        false,
        true);
  }

  /** Removes this client's waiting mark, if it is there. */
  public LockCommand clearWriterWaiting() {
    return command(
        "clear writer waiting",
        Kind.UPDATE_ONE,
        Filters.and(lock(), Filters.eq(WAITING_CLIENT, clientID)),
        Updates.unset(WRITER_WAITING),
        false,
        true);
  }

  // ---------------------------------------------------------------------------- release

  /** How a release treats this client's lease entry. */
  public enum EntryAfterRelease {
    /** The entry goes; the session's lease key too, where no other entry of the session is left. */
    DROP_WITH_LEASE,
    /** The entry goes; the lease key stays (another client of this session may hold the lock). */
    DROP,
    /** The client still holds the other mode: the entry stays. */
    KEEP
  }

  /**
   * Rule 5, first step: deletes the document where this client holding {@code write} (else read) is
   * its only holder and no writer waits. Safe to resend (a second finds nothing, and the caller
   * treats that as released after a lost reply).
   */
  public LockCommand releaseByDelete(boolean write, boolean onlyOwnEntry) {
    int slot = (write ? 0 : 2) + (onlyOwnEntry ? 1 : 0);
    return memo(slot, () -> renderReleaseByDelete(write, onlyOwnEntry));
  }

  private LockCommand renderReleaseByDelete(boolean write, boolean onlyOwnEntry) {
    Bson onlyHolder =
        write
            ? Filters.and(Filters.eq(WRITER, clientID), noReaders())
            : Filters.and(
                writerEmptyOr(), Filters.size(READERS, 1), Filters.all(READERS, clientID));
    return command(
        write ? "write release (delete)" : "read release (delete)",
        Kind.DELETE_ONE,
        Filters.and(
            lock(),
            onlyHolder,
            Filters.exists(WRITER_WAITING, false),
            onlyOwnEntry ? ownEntry() : new Document()),
        new Document(),
        false,
        true);
  }

  /**
   * Rule 5, second step: clears this client's mode where it holds it. With {@code onlyOwnEntry},
   * only where this session's entry for the client is still there (the clean-up of a lost hold,
   * which must not release a successor's). Safe to resend, as the delete.
   */
  public LockCommand releaseByUpdate(
      boolean write, EntryAfterRelease entryAfter, boolean onlyOwnEntry) {
    int slot = 4 + ((write ? 0 : 1) * 3 + entryAfter.ordinal()) * 2 + (onlyOwnEntry ? 1 : 0);
    return memo(slot, () -> renderReleaseByUpdate(write, entryAfter, onlyOwnEntry));
  }

  /** The release commands never change for a mutex: each is rendered once, on first use. */
  private final AtomicReferenceArray<LockCommand> releases = new AtomicReferenceArray<>(16);

  private LockCommand memo(int slot, Supplier<LockCommand> render) {
    LockCommand c = releases.get(slot);
    if (c == null) {
      c = render.get();
      releases.set(slot, c);
    }
    return c;
  }

  private LockCommand renderReleaseByUpdate(
      boolean write, EntryAfterRelease entryAfter, boolean onlyOwnEntry) {
    List<Bson> filter = new ArrayList<>();
    filter.add(lock());
    filter.add(write ? Filters.eq(WRITER, clientID) : Filters.eq(READERS, clientID));
    if (onlyOwnEntry) {
      filter.add(ownEntry());
    }
    List<Bson> update = new ArrayList<>();
    Document pull = new Document();
    if (write) {
      update.add(Updates.set(WRITER, ""));
      update.add(Updates.unset(FENCE));
    } else {
      pull.append(READERS, clientID);
    }
    if (entryAfter != EntryAfterRelease.KEEP) {
      // never leave a holder without a lease: the entry goes only where the document does not
      // name this client in the other mode (a hold this process gave up without knowing it held)
      filter.add(write ? Filters.ne(READERS, clientID) : Filters.ne(WRITER, clientID));
      pull.append(HOLDERS, entry);
    }
    if (entryAfter == EntryAfterRelease.DROP_WITH_LEASE) {
      filter.add(noOtherEntryOfSession());
      update.add(Updates.unset(leasePath(sessionID)));
    }
    if (!pull.isEmpty()) {
      update.add(new Document("$pull", pull));
    }
    return command(
        (write ? "write release" : "read release")
            + switch (entryAfter) {
              case KEEP -> " (keep entry)";
              case DROP -> " (drop entry)";
              case DROP_WITH_LEASE -> " (drop entry and lease)";
            }
            + (onlyOwnEntry ? " of own entry" : ""),
        Kind.UPDATE_ONE,
        Filters.and(filter),
        Updates.combine(update),
        false,
        true);
  }

  // ---------------------------------------------------------------------------- fencing

  /**
   * Rule 6, first step: increments the lock's durable counter and returns it. Its query is only
   * equality on {@code lockID}, so mongod retries a racing insert's 11000 as an update by itself
   * when the violated index is the one on lockID; a duplicate on {@code _id} comes back as 11000
   * and the caller tries again. Not resent by the library (a second {@code $inc} would skip a
   * token; the driver's retryable writes apply it exactly once).
   */
  public LockCommand fencingCounter() {
    Document counterID = new Document(FENCING_COUNTER, lockID);
    return command(
        "fencing counter",
        Kind.FIND_ONE_AND_UPDATE,
        Filters.eq(LOCK_ID, counterID),
        Updates.combine(Updates.inc(TOKEN, 1L), Updates.setOnInsert(ID, counterID)),
        true,
        false);
  }

  /**
   * Rule 6, second step: stamps the token where this client is still the writer with an unexpired
   * lease of this session (server clock).
   */
  public LockCommand stampFence(long token) {
    return command(
        "stamp fence",
        Kind.UPDATE_ONE,
        Filters.and(lock(), Filters.eq(WRITER, clientID), ownEntry(), leaseAlive(sessionID)),
        Updates.set(FENCE, token),
        false,
        true);
  }

  // ---------------------------------------------------------------------------- admin, reads

  /** The seed's tryOverrideLockWriter: become the writer where the writer is empty or oldWriter. */
  public LockCommand overrideWriter(String oldWriter, boolean upsert) {
    List<Bson> updates = new ArrayList<>();
    updates.add(Updates.set(WRITER, clientID));
    updates.add(Updates.setOnInsert(ID, lockID));
    updates.add(Updates.setOnInsert(READERS, List.of()));
    if (expiresAt != null) {
      updates.add(Updates.setOnInsert(EXPIRES_AT, expiresAt));
    }
    return command(
        "override writer",
        Kind.UPDATE_ONE,
        Filters.and(lock(), writerEmptyOr(oldWriter)),
        Updates.combine(updates),
        upsert,
        false);
  }

  /** The lock's stored document. */
  public LockCommand read() {
    return command("read", Kind.FIND, lock(), new Document(), false, true);
  }

  /**
   * The heartbeat: re-stamps the leases of {@code session} that have not yet expired by the
   * server's clock, so an expired lease is never revived, except on the {@code abandoned} locks.
   */
  public static LockCommand renewal(String session, Collection<String> abandoned) {
    return command(
        "renew leases",
        Kind.UPDATE_MANY,
        aliveLeasesFilter(session, abandoned),
        Updates.currentDate(leaseAtPath(session)),
        false,
        true);
  }

  /** The documents on which {@code session}'s lease is alive (the heartbeat's check). */
  public static LockCommand aliveLeases(String session, Collection<String> abandoned) {
    return command(
        "alive leases",
        Kind.FIND,
        aliveLeasesFilter(session, abandoned),
        new Document(),
        false,
        true);
  }

  /**
   * The session's live leases, but for the {@code abandoned} locks: those whose release this
   * process could not confirm (MongoDB unreachable) or whose lease it gave up, and which no holder
   * of the process holds. They are no longer renewed, so they expire within one lease time whatever
   * else the process holds. The list is empty but after faults, so the usual renewal is the plain
   * filter.
   */
  private static Bson aliveLeasesFilter(String session, Collection<String> abandoned) {
    Bson alive = Filters.and(Filters.eq(HOLDER_SESSION_PATH, session), leaseAlive(session));
    return abandoned.isEmpty()
        ? alive
        : Filters.and(Filters.nin(LOCK_ID, new ArrayList<>(abandoned)), alive);
  }

  // ---------------------------------------------------------------------------- rendering

  private static LockCommand command(
      String name, Kind kind, Bson filter, Bson update, boolean upsert, boolean resendSafe) {
    // Only standard BSON values go in (strings, numbers, dates, lists, documents): the driver's
    // default registry renders them as any collection's would.
    var registry = MongoClientSettings.getDefaultCodecRegistry();
    return new LockCommand(
        name,
        kind,
        filter.toBsonDocument(BsonDocument.class, registry),
        update.toBsonDocument(BsonDocument.class, registry),
        upsert,
        resendSafe);
  }

  // ---------------------------------------------------------------------- admin, forced release

  /**
   * The admin's forced release of every holder: deletes the lock document, whatever it holds (its
   * writer, readers, lease entries and leases, waiting mark, the seed's {@code expiresAt}, fields
   * of the wrong type). The query is equality on a string {@code lockID}, so it can never match a
   * fencing counter ({@code lockID: {fencing: id}}): the counter survives and tokens stay
   * monotonic. Not resent (a second one finds nothing and would report "nothing to release").
   */
  public static LockCommand forceRelease(String lockID) {
    return command(
        "force release",
        Kind.FIND_ONE_AND_DELETE,
        Filters.eq(LOCK_ID, lockID),
        new Document(),
        false,
        false);
  }

  /**
   * The admin's forced release of one client, rendered from the document as {@code observed}: null
   * when the client is neither its writer nor one of its readers there (an entry of a client that
   * holds nothing means nothing, and is left). The update clears the client's write role (and the
   * fence stamped for it), pulls it from {@code readers} and every {@code holders} entry of its,
   * and unsets the {@code leases} keys of its sessions that no other client's entry names, so that
   * its process's next renewal misses the lock. Other holders are left as they are.
   *
   * <p>What the update cannot state without knowing the document, the filter pins: whether the
   * client is the writer (a plain update cannot clear a field only where it has a value), and that
   * no other client's entry names a session whose lease goes. Where the document changed in either
   * way since it was read, nothing matches and the caller reads again. The rest holds whatever
   * happened meanwhile: {@code $pull} removes the client's entries and reader role that exist when
   * the command runs.
   *
   * <p>{@code observed}'s {@code readers} and {@code holders} must be arrays, null or missing (the
   * caller refuses other types: {@code $pull} on them fails in mongod with 2 BadValue). Where one
   * is null or missing, the filter requires the client is still not in it, rather than pull. Not
   * resent: the before-image of a second one would show the client holding nothing.
   */
  public static LockCommand forceReleaseClient(String lockID, String clientID, Document observed) {
    boolean isWriter = clientID.equals(observed.get(WRITER));
    List<?> readers = observed.get(READERS) instanceof List<?> l ? l : null;
    List<?> holders = observed.get(HOLDERS) instanceof List<?> l ? l : null;
    boolean isReader = readers != null && readers.contains(clientID);
    if (!isWriter && !isReader) {
      return null;
    }
    Set<String> ownSessions = new LinkedHashSet<>();
    Set<String> otherSessions = new LinkedHashSet<>();
    for (Object o : holders == null ? List.of() : holders) {
      if (o instanceof Document d && d.get(HOLDER_SESSION) instanceof String s) {
        (clientID.equals(d.get(HOLDER_CLIENT)) ? ownSessions : otherSessions).add(s);
      }
    }
    List<String> goingLeases = new ArrayList<>(ownSessions);
    goingLeases.removeAll(otherSessions);
    if (!(observed.get(LockDocument.LEASES) instanceof Document)) {
      goingLeases.clear(); // nothing to unset below a field that is not a document
    }

    List<Bson> filter = new ArrayList<>();
    List<Bson> update = new ArrayList<>();
    Document pull = new Document();
    filter.add(Filters.eq(LOCK_ID, lockID));
    if (isWriter) {
      filter.add(Filters.eq(WRITER, clientID));
      update.add(Updates.set(WRITER, ""));
      update.add(Updates.unset(FENCE));
    } else {
      filter.add(Filters.ne(WRITER, clientID));
    }
    if (readers != null) {
      pull.append(READERS, clientID);
    } else {
      filter.add(Filters.ne(READERS, clientID));
    }
    if (holders != null) {
      pull.append(HOLDERS, new Document(HOLDER_CLIENT, clientID));
    } else {
      filter.add(Filters.ne(HOLDERS + "." + HOLDER_CLIENT, clientID));
    }
    if (!goingLeases.isEmpty()) {
      // a client that shares a session with this one still needs that session's lease
      filter.add(
          Filters.not(
              Filters.elemMatch(
                  HOLDERS,
                  Filters.and(
                      Filters.in(HOLDER_SESSION, goingLeases),
                      Filters.ne(HOLDER_CLIENT, clientID)))));
      goingLeases.forEach(session -> update.add(Updates.unset(leasePath(session))));
    }
    if (!pull.isEmpty()) {
      update.add(new Document("$pull", pull));
    }
    return command(
        isWriter ? "force release of a writer" : "force release of a reader",
        Kind.FIND_ONE_AND_UPDATE,
        Filters.and(filter),
        Updates.combine(update),
        false,
        false);
  }
}
