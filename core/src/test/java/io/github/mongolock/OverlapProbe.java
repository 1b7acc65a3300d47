package io.github.mongolock;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.Document;

/**
 * Mutual-exclusion checker that works across threads, processes and runtimes: critical sections
 * report themselves on one probe document {@code {_id, writers, readers, lastBy}} with atomic
 * {@code findOneAndUpdate}/{@code $inc}, so two holders that overlap see each other no matter which
 * JVM or Node process they run in.
 *
 * <ul>
 *   <li>entering a WRITE section: {@code $inc writers}; an overlap if the before-image had {@code
 *       writers > 0} or {@code readers > 0};
 *   <li>entering a READ section: {@code $inc readers}; an overlap if the before-image had {@code
 *       writers > 0} (other readers are allowed; they count as a shared read);
 *   <li>leaving: {@code $inc -1} on the same counter.
 * </ul>
 *
 * <p>{@code lastBy} is set to this probe's holder name on entry ({@code "<runtime>:<clientID>"},
 * e.g. {@code "java:c1"}, {@code "node:n1"}); a section whose before-image names another runtime
 * counts as a cross-runtime hand-off. The Node twin of this class is in {@code
 * src/test/node/contender.js}; both must keep the same protocol.
 *
 * <p>One instance per holder (thread or client). Counters are atomic, so an instance may also be
 * shared. Sections can be driven with {@link #enter(LockMode)} (try-with-resources) or {@link
 * #section(LockMode, Duration)}.
 */
public final class OverlapProbe {

  private final MongoCollection<Document> collection;
  private final Object probeId;
  private final String holder;
  private final String runtime;

  private final AtomicLong sections = new AtomicLong();
  private final AtomicLong writeSections = new AtomicLong();
  private final AtomicLong readSections = new AtomicLong();
  private final AtomicLong overlaps = new AtomicLong();
  private final AtomicLong sharedReads = new AtomicLong();
  private final AtomicLong crossRuntimeHandoffs = new AtomicLong();

  /**
   * @param collection collection holding the probe document (not the lock collection)
   * @param probeId {@code _id} of the probe document; all contenders of one lock use the same
   * @param holder who enters, {@code "<runtime>:<clientID>"}; a name without ':' counts as runtime
   *     {@code "java"}
   */
  public OverlapProbe(MongoCollection<Document> collection, Object probeId, String holder) {
    this.collection = collection;
    this.probeId = probeId;
    this.holder = holder.contains(":") ? holder : "java:" + holder;
    this.runtime = this.holder.substring(0, this.holder.indexOf(':'));
  }

  /** Sets the probe document to {@code {_id, writers: 0, readers: 0}} (call before contending). */
  public static void reset(MongoCollection<Document> collection, Object probeId) {
    collection.replaceOne(
        Filters.eq("_id", probeId),
        new Document("_id", probeId).append("writers", 0).append("readers", 0),
        new ReplaceOptions().upsert(true));
  }

  /** The probe document as stored now (null if absent). */
  public static Document snapshot(MongoCollection<Document> collection, Object probeId) {
    return collection.find(Filters.eq("_id", probeId)).first();
  }

  /** Enters a critical section in {@code mode}; close the returned section to leave it. */
  public Section enter(LockMode mode) {
    String field = mode == LockMode.WRITE ? "writers" : "readers";
    Document before = null;
    for (int attempt = 0; ; attempt++) {
      try {
        before =
            collection.findOneAndUpdate(
                Filters.eq("_id", probeId),
                Updates.combine(Updates.inc(field, 1), Updates.set("lastBy", holder)),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.BEFORE));
        break;
      } catch (MongoWriteException e) {
        // two first upserts of the probe document may race on _id; the loser retries
        if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY || attempt >= 5) {
          throw e;
        }
      }
    }
    long writers = before == null ? 0 : number(before, "writers");
    long readers = before == null ? 0 : number(before, "readers");
    String lastBy = before == null ? null : before.getString("lastBy");
    boolean overlap = mode == LockMode.WRITE ? writers > 0 || readers > 0 : writers > 0;
    boolean sharedRead = mode == LockMode.READ && readers > 0;
    boolean crossRuntime = lastBy != null && !lastBy.isEmpty() && !lastBy.startsWith(runtime + ":");
    sections.incrementAndGet();
    (mode == LockMode.WRITE ? writeSections : readSections).incrementAndGet();
    if (overlap) {
      overlaps.incrementAndGet();
    }
    if (sharedRead) {
      sharedReads.incrementAndGet();
    }
    if (crossRuntime) {
      crossRuntimeHandoffs.incrementAndGet();
    }
    return new Section(field, overlap, sharedRead, crossRuntime);
  }

  /**
   * Runs one whole critical section: enter, sleep {@code hold}, leave.
   *
   * @return true if this section overlapped another holder
   */
  public boolean section(LockMode mode, Duration hold) {
    try (Section s = enter(mode)) {
      if (!hold.isZero()) {
        try {
          Thread.sleep(hold.toMillis(), hold.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted inside a probe section", e);
        }
      }
      return s.overlap();
    }
  }

  private static long number(Document d, String field) {
    Object v = d.get(field);
    return v instanceof Number n ? n.longValue() : 0;
  }

  public String holder() {
    return holder;
  }

  public long sections() {
    return sections.get();
  }

  public long writeSections() {
    return writeSections.get();
  }

  public long readSections() {
    return readSections.get();
  }

  public long overlaps() {
    return overlaps.get();
  }

  public long sharedReads() {
    return sharedReads.get();
  }

  public long crossRuntimeHandoffs() {
    return crossRuntimeHandoffs.get();
  }

  @Override
  public String toString() {
    return holder
        + "{sections="
        + sections
        + ", write="
        + writeSections
        + ", read="
        + readSections
        + ", overlaps="
        + overlaps
        + ", sharedReads="
        + sharedReads
        + ", crossRuntimeHandoffs="
        + crossRuntimeHandoffs
        + '}';
  }

  /** One entered critical section; {@link #close()} leaves it ({@code $inc -1}). */
  public final class Section implements AutoCloseable {
    private final String field;
    private final boolean overlap;
    private final boolean sharedRead;
    private final boolean crossRuntime;
    private boolean closed;

    private Section(String field, boolean overlap, boolean sharedRead, boolean crossRuntime) {
      this.field = field;
      this.overlap = overlap;
      this.sharedRead = sharedRead;
      this.crossRuntime = crossRuntime;
    }

    /** Another holder was inside in a conflicting mode when this section entered. */
    public boolean overlap() {
      return overlap;
    }

    /** A READ section that entered while other readers were inside. */
    public boolean sharedRead() {
      return sharedRead;
    }

    /** The previous holder to enter was of another runtime (Java after Node or vice versa). */
    public boolean crossRuntime() {
      return crossRuntime;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        collection.updateOne(Filters.eq("_id", probeId), Updates.inc(field, -1));
      }
    }
  }
}
