package io.github.mongolock.internal.store;

import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.Document;

/**
 * The stored lock document: its field names, and a read-only view of one stored document.
 *
 * <p>The document is mongo-lock-node's ({@code lockID}, {@code writer}, {@code readers}, {@code
 * expiresAt}), plus optional fields of this library's that Node clients ignore:
 *
 * <pre>
 * {
 *   _id:       "lock_1",               // = lockID in documents this library inserts (see below)
 *   lockID:    "lock_1",               // unique index
 *   writer:    "client_1" | "",        // "" when nobody writes
 *   readers:   ["client_2", ...],      // client IDs holding the read lock
 *   expiresAt: ISODate(...),           // optional, the seed's absolute expiry
 *   writerWaiting: {                   // optional: a writer of this library is waiting
 *     client: "client_3", at: ISODate(server time), ttlMs: 2000 },
 *   holders: [                         // lease entries of this library's holders (index on holders.s)
 *     { c: "client_1", s: "9f0c...e1" } ],   // client, session of the client's process
 *   leases: {                          // per session: last acquire or renewal, server clock
 *     "9f0c...e1": { at: ISODate(...), ms: 30000 } },
 *   fence: 17                          // optional: the fencing token issued to the current writer
 * }
 * </pre>
 *
 * <p>A holder (writer or reader) with a {@code holders} entry has a lease: it has expired when
 * {@code leases.<s>.at + leases.<s>.ms} is before {@code $$NOW} for every session {@code s} of its
 * entries. A holder without an entry (a mongo-lock-node client, or a writer installed by the seed's
 * override) has no lease and never expires, as in the seed. An entry whose client is neither the
 * writer nor a reader means nothing; a {@code leases} key that no entry names is an orphan, removed
 * when seen. Fencing counters live in the same collection, in documents {@code {_id: {fencing:
 * "lock_1"}, lockID: {fencing: "lock_1"}, token: 17}} that survive the lock document's deletion.
 *
 * <p>Documents this library inserts take {@code _id} = {@code lockID}, so that the collection's
 * {@code _id} index, which MongoDB keeps in every collection, already forbids a second document for
 * the same lock, even when the collection was dropped and re-created without the {@code lockID}
 * index while processes ran. (mongo-lock-node inserts documents with an ObjectId {@code _id}; with
 * those, uniqueness still rests on the {@code lockID} index.)
 *
 * <p>A document with fields of other types (written by hand, or by another program) is not one this
 * library interprets: {@link #problems()} lists them, and an acquire that is not granted, or that
 * MongoDB refuses, because of such a field fails naming them rather than wait for a holder it
 * cannot see or rewrite the document. {@link #nullFields()} lists the arrays and documents that are
 * null, which the rules read as absent but to which MongoDB refuses to add.
 */
public record LockDocument(
    Object id,
    String lockID,
    String writer,
    List<String> readers,
    Date expiresAt,
    WaitingMark writerWaiting,
    List<Holder> holders,
    Map<String, Lease> leases,
    Long fence,
    List<String> problems,
    List<String> nullFields) {

  public static final String ID = "_id";
  public static final String LOCK_ID = "lockID";
  public static final String WRITER = "writer";
  public static final String READERS = "readers";
  public static final String EXPIRES_AT = "expiresAt";
  public static final String WRITER_WAITING = "writerWaiting";
  public static final String WAITING_CLIENT = WRITER_WAITING + ".client";
  public static final String WAITING_AT = WRITER_WAITING + ".at";
  public static final String WAITING_TTL = WRITER_WAITING + ".ttlMs";
  public static final String HOLDERS = "holders";
  public static final String HOLDER_CLIENT = "c";
  public static final String HOLDER_SESSION = "s";
  public static final String HOLDER_SESSION_PATH = HOLDERS + "." + HOLDER_SESSION;
  public static final String LEASES = "leases";
  public static final String LEASE_AT = "at";
  public static final String LEASE_MS = "ms";
  public static final String FENCE = "fence";
  public static final String FENCING_COUNTER = "fencing";
  public static final String TOKEN = "token";

  /** A waiting writer's mark: lapses {@code ttlMs} after {@code at} (server clock). */
  public record WaitingMark(String client, Date at, Long ttlMs) {}

  /** A lease entry: client {@code client} holds under the lease of session {@code session}. */
  public record Holder(String client, String session) {}

  /** A session's lease: stamped at {@code at} (server clock), lasts {@code ms}. */
  public record Lease(Date at, long ms) {
    public long endMillis() {
      return at.getTime() + ms;
    }
  }

  public static String leasePath(String session) {
    return LEASES + "." + session;
  }

  public static String leaseAtPath(String session) {
    return leasePath(session) + "." + LEASE_AT;
  }

  public static String leaseMsPath(String session) {
    return leasePath(session) + "." + LEASE_MS;
  }

  /**
   * The view of a stored document; null for null. Fields of unexpected types read as absent, and
   * are listed in {@link #problems()}.
   */
  public static LockDocument of(Document doc) {
    if (doc == null) {
      return null;
    }
    List<String> readers = new ArrayList<>();
    if (doc.get(READERS) instanceof List<?> list) {
      for (Object o : list) {
        readers.add(String.valueOf(o));
      }
    }
    WaitingMark mark = null;
    if (doc.get(WRITER_WAITING) instanceof Document w) {
      mark =
          new WaitingMark(
              w.get("client") instanceof String c ? c : null,
              w.get("at") instanceof Date at ? at : null,
              w.get("ttlMs") instanceof Number n ? n.longValue() : null);
    }
    List<Holder> holders = new ArrayList<>();
    if (doc.get(HOLDERS) instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Document d) {
          holders.add(
              new Holder(
                  String.valueOf(d.get(HOLDER_CLIENT)), String.valueOf(d.get(HOLDER_SESSION))));
        }
      }
    }
    Map<String, Lease> leases = new LinkedHashMap<>();
    if (doc.get(LEASES) instanceof Document l) {
      for (Map.Entry<String, Object> e : l.entrySet()) {
        if (e.getValue() instanceof Document lease
            && lease.get(LEASE_AT) instanceof Date at
            && lease.get(LEASE_MS) instanceof Number ms) {
          leases.put(e.getKey(), new Lease(at, ms.longValue()));
        } else {
          leases.put(e.getKey(), null); // a key without a usable stamp: expired
        }
      }
    }
    return new LockDocument(
        doc.get(ID),
        doc.get(LOCK_ID) instanceof String s ? s : null,
        doc.get(WRITER) instanceof String w ? w : "",
        List.copyOf(readers),
        doc.get(EXPIRES_AT) instanceof Date d ? d : null,
        mark,
        List.copyOf(holders),
        java.util.Collections.unmodifiableMap(leases),
        doc.get(FENCE) instanceof Number n ? n.longValue() : null,
        List.copyOf(problems(doc)),
        List.copyOf(nullFields(doc)));
  }

  /**
   * The fields of {@code doc} whose type neither this library nor mongo-lock-node writes, each as
   * "field is value, expected type": the document was written by hand or by another program. A
   * missing or null field is no problem here (the rules read it as absent; see {@link
   * #nullFields}).
   */
  private static List<String> problems(Document doc) {
    List<String> problems = new ArrayList<>();
    Object writer = doc.get(WRITER);
    if (writer != null && !(writer instanceof String)) {
      problems.add(WRITER + " is " + shown(writer) + ", expected a client ID (a string)");
    }
    Object readers = doc.get(READERS);
    if (readers != null && !(readers instanceof List)) {
      problems.add(READERS + " is " + shown(readers) + ", expected an array of client IDs");
    } else if (readers instanceof List<?> list) {
      list.stream()
          .filter(r -> !(r instanceof String))
          .findFirst()
          .ifPresent(r -> problems.add(READERS + " has " + shown(r) + ", expected client IDs"));
    }
    Object holders = doc.get(HOLDERS);
    if (holders != null && !(holders instanceof List)) {
      problems.add(HOLDERS + " is " + shown(holders) + ", expected an array of lease entries");
    } else if (holders instanceof List<?> list) {
      list.stream()
          .filter(
              h ->
                  !(h instanceof Document d
                      && d.get(HOLDER_CLIENT) instanceof String
                      && d.get(HOLDER_SESSION) instanceof String))
          .findFirst()
          .ifPresent(
              h ->
                  problems.add(
                      HOLDERS + " has " + shown(h) + ", expected {c: client, s: session}"));
    }
    Object leases = doc.get(LEASES);
    if (leases != null && !(leases instanceof Document)) {
      problems.add(LEASES + " is " + shown(leases) + ", expected a document of leases");
    } else if (leases instanceof Document l) {
      l.entrySet().stream()
          .filter(e -> !(e.getValue() instanceof Document))
          .findFirst()
          .ifPresent(
              e ->
                  problems.add(
                      LEASES
                          + "."
                          + e.getKey()
                          + " is "
                          + shown(e.getValue())
                          + ", expected a"
                          + " lease {at: date, ms: number}"));
    }
    Object mark = doc.get(WRITER_WAITING);
    if (mark != null && !(mark instanceof Document)) {
      problems.add(WRITER_WAITING + " is " + shown(mark) + ", expected a document");
    }
    Object expiresAt = doc.get(EXPIRES_AT);
    if (expiresAt != null && !(expiresAt instanceof Date)) {
      problems.add(EXPIRES_AT + " is " + shown(expiresAt) + ", expected a date");
    }
    Object fence = doc.get(FENCE);
    if (fence != null && !(fence instanceof Number)) {
      problems.add(FENCE + " is " + shown(fence) + ", expected a number");
    }
    return problems;
  }

  /**
   * The fields that are null where an acquire adds to them ({@code $addToSet}, or a path below),
   * which MongoDB refuses: the rules read them as absent, so a lock is not held because of them,
   * but an acquire that MongoDB refused may have been refused for them.
   */
  private static List<String> nullFields(Document doc) {
    List<String> nulls = new ArrayList<>();
    for (String field : List.of(READERS, HOLDERS, LEASES)) {
      if (doc.containsKey(field) && doc.get(field) == null) {
        nulls.add(
            field + " is null, expected " + (field.equals(LEASES) ? "a document" : "an array"));
      }
    }
    return nulls;
  }

  /** A stored value as JSON, cut to 60 characters. */
  private static String shown(Object value) {
    String json;
    if (value instanceof Document d) {
      json = d.toJson();
    } else {
      String wrapped = new Document("v", value).toJson();
      json = wrapped.substring("{\"v\": ".length(), wrapped.length() - 1);
    }
    return json.length() <= 60 ? json : json.substring(0, 57) + "...";
  }

  /** The sessions named by {@code holders} entries, in order. */
  public Set<String> entrySessions() {
    Set<String> sessions = new LinkedHashSet<>();
    holders.forEach(h -> sessions.add(h.session()));
    return sessions;
  }

  /** {@code leases} keys that no entry names: left by a holder whose entry was replaced. */
  public Set<String> orphanLeases() {
    Set<String> orphans = new LinkedHashSet<>(leases.keySet());
    orphans.removeAll(entrySessions());
    return orphans;
  }

  /** The session's lease, or null when it has none (or none with a usable stamp). */
  public Lease lease(String session) {
    return leases.get(session);
  }

  /**
   * True when nobody holds or waits for the lock: no writer, no readers, no entries, no mark, and
   * nothing this library could not read.
   */
  public boolean isFree() {
    return (writer == null || writer.isEmpty())
        && readers.isEmpty()
        && holders.isEmpty()
        && writerWaiting == null
        && problems.isEmpty();
  }

  /** True when another client's waiting mark is present (whether or not it has lapsed). */
  public boolean markedByOtherThan(String client) {
    return writerWaiting != null && !client.equals(writerWaiting.client());
  }
}
