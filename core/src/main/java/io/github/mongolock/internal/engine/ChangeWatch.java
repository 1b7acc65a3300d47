package io.github.mongolock.internal.engine;

import com.mongodb.MongoInterruptedException;
import com.mongodb.MongoServerUnavailableException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.OperationType;
import io.github.mongolock.internal.store.LockDocument;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the pollers of one lock collection when the lock documents they wait for change in MongoDB,
 * through a change stream: a hint only, polling goes on as before and decides.
 *
 * <ol>
 *   <li>At most one cursor per collection and runtime, read by a daemon thread {@code
 *       mongo-lock-watch-<namespace>}. It is opened when a thread starts polling for a lock of the
 *       collection, and closed when no thread has polled for {@link #IDLE_CLOSE_NANOS}.
 *   <li>It sees only {@code update}, {@code replace} and {@code delete} events (a release is one of
 *       those; an insert never frees a lock), projected to their {@code documentKey}.
 *   <li>A delete event carries only the document's {@code _id}, so pollers tell the watch the
 *       {@code _id} of the document they wait for (they read it anyway to look for expired leases).
 *       An event wakes the poller of that {@code _id} and the pollers whose document's {@code _id}
 *       is not known (not read yet, or deleted since); an event without an {@code _id} (the
 *       embedded test server's update events) wakes every poller of the collection. A woken poller
 *       makes one attempt.
 *   <li>Waking is what a local release does ({@link LockSite#wakePoller}).
 *   <li>If the stream cannot be opened or read (a standalone server, no permission), that is logged
 *       once and the collection is not watched for {@link #RETRY_AFTER_FAILURE_NANOS}; waiting
 *       acquires keep polling and never see the error.
 * </ol>
 *
 * <p>The stream is opened on the collection of the most recent poller, so with that mutex's read
 * concern. A server that answers an empty {@code getMore} at once instead of waiting up to {@code
 * maxAwaitTime} (the embedded test server) is asked again after a short pause, not in a busy loop.
 */
final class ChangeWatch {

  static final long IDLE_CLOSE_NANOS = TimeUnit.SECONDS.toNanos(3);
  static final long RETRY_AFTER_FAILURE_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final long MAX_AWAIT_MILLIS = 500;
  private static final long MIN_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
  private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private static final Logger LOG = LoggerFactory.getLogger(ChangeWatch.class);
  private static final List<Bson> PIPELINE =
      List.of(
          Aggregates.match(Filters.in("operationType", List.of("update", "replace", "delete"))),
          Aggregates.project(Projections.include("operationType", "documentKey")));

  final String namespace;
  // all guarded by this
  private final Map<LockSite, Waiter> waiters = new HashMap<>();
  private MongoCollection<Document> via;
  private Thread reader;
  private boolean open;
  private int opened;
  private long idleSince;
  private long failedAt;
  private boolean failedBefore;

  ChangeWatch(String namespace) {
    this.namespace = namespace;
  }

  /** One polling thread's interest in one lock; {@link #close()} when it stops polling. */
  final class Waiter implements AutoCloseable {
    final LockSite site;

    /** The {@code _id} of the lock document, once known. */
    private BsonValue documentId;

    private Waiter(LockSite site) {
      this.site = site;
    }

    /** The lock document as last read: events about its {@code _id} wake this waiter. */
    void documentRead(LockDocument doc) {
      Object id = doc == null ? null : doc.id();
      BsonValue key =
          id == null
              ? null
              : new Document(LockDocument.ID, id).toBsonDocument().get(LockDocument.ID);
      synchronized (ChangeWatch.this) {
        documentId = key;
      }
    }

    @Override
    public void close() {
      synchronized (ChangeWatch.this) {
        if (waiters.get(site) == this) {
          waiters.remove(site);
          idleSince = System.nanoTime();
        }
      }
    }
  }

  /**
   * Called by the thread that starts polling for the lock of {@code site}, not holding the site's
   * mutex. Starts the stream unless it runs, or failed less than a minute ago. Never throws for the
   * stream's sake.
   */
  Waiter waiting(LockSite site, MongoCollection<Document> collection) {
    Waiter waiter = new Waiter(site);
    synchronized (this) {
      waiters.put(site, waiter);
      via = collection;
      if (reader == null
          && (failedAt == 0 || System.nanoTime() - failedAt >= RETRY_AFTER_FAILURE_NANOS)) {
        failedAt = 0;
        reader = new Thread(this::run, "mongo-lock-watch-" + namespace);
        reader.setDaemon(true);
        reader.start();
      }
    }
    return waiter;
  }

  /** True while the cursor is open (for tests). */
  synchronized boolean isOpen() {
    return open;
  }

  /** How many times a cursor was opened (for tests). */
  synchronized int timesOpened() {
    return opened;
  }

  /** True while the stream is not tried because it failed (for tests). */
  synchronized boolean isBackingOff() {
    return failedAt != 0;
  }

  /** Stops the reader thread (the runtime is closing); a later waiter would start it again. */
  void close() {
    Thread t;
    synchronized (this) {
      waiters.clear();
      idleSince = System.nanoTime() - IDLE_CLOSE_NANOS;
      t = reader;
    }
    if (t != null) {
      t.interrupt();
    }
  }

  private void run() {
    try {
      while (true) {
        MongoCollection<Document> collection;
        synchronized (this) {
          collection = via;
        }
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
            collection
                .watch(PIPELINE)
                .maxAwaitTime(MAX_AWAIT_MILLIS, TimeUnit.MILLISECONDS)
                .cursor()) {
          synchronized (this) {
            open = true;
            opened++;
          }
          read(cursor);
        } finally {
          synchronized (this) {
            open = false;
          }
        }
        synchronized (this) {
          if (waiters.isEmpty()) {
            reader = null;
            return;
          }
        }
      }
    } catch (RuntimeException e) {
      failed(e);
    } catch (Error e) {
      failed(e);
      throw e;
    }
  }

  /** Reads events until nobody has polled for a while. */
  private void read(MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor) {
    while (!idle()) {
      long asked = System.nanoTime();
      ChangeStreamDocument<Document> event = cursor.tryNext();
      if (event == null) {
        long took = System.nanoTime() - asked;
        if (took < TimeUnit.MILLISECONDS.toNanos(MAX_AWAIT_MILLIS) / 2) {
          // the server did not wait for events: do not ask again at once; pause three times as
          // long as the answer took (the embedded server scans its whole oplog for each getMore)
          LockSupport.parkNanos(Math.min(MAX_PAUSE_NANOS, Math.max(MIN_PAUSE_NANOS, 3 * took)));
        }
        continue;
      }
      List<ChangeStreamDocument<Document>> batch = new ArrayList<>();
      batch.add(event);
      while (cursor.available() > 0) {
        batch.add(cursor.next());
      }
      wake(batch);
    }
  }

  private synchronized boolean idle() {
    return waiters.isEmpty() && System.nanoTime() - idleSince >= IDLE_CLOSE_NANOS;
  }

  /**
   * Wakes the pollers the events may concern: an event about a document wakes the poller waiting
   * for that document and the pollers that do not know their document's {@code _id} yet (or whose
   * document was deleted: the next one has another {@code _id}); an event without an {@code _id}
   * wakes every poller.
   */
  private void wake(List<ChangeStreamDocument<Document>> events) {
    Set<LockSite> sites = new HashSet<>();
    synchronized (this) {
      for (ChangeStreamDocument<Document> event : events) {
        BsonDocument key = event.getDocumentKey();
        BsonValue id = key == null ? null : key.get("_id");
        boolean deleted = event.getOperationType() == OperationType.DELETE;
        for (Waiter waiter : waiters.values()) {
          if (id == null || waiter.documentId == null) {
            sites.add(waiter.site);
          } else if (id.equals(waiter.documentId)) {
            sites.add(waiter.site);
            if (deleted) {
              waiter.documentId = null;
            }
          }
        }
      }
    }
    for (LockSite site : sites) {
      site.mutex.lock();
      try {
        site.wakePoller();
      } finally {
        site.mutex.unlock();
      }
    }
  }

  private void failed(Throwable e) {
    // a closed client is not the server's refusal: the next poller brings its own collection
    boolean clientClosed =
        e instanceof IllegalStateException
            || e instanceof MongoServerUnavailableException
            || e instanceof MongoInterruptedException;
    boolean first;
    synchronized (this) {
      open = false;
      reader = null;
      first = !failedBefore && !clientClosed;
      failedBefore |= !clientClosed;
      failedAt = clientClosed ? 0 : System.nanoTime();
    }
    if (clientClosed) {
      LOG.debug("change stream on lock collection {} ended: {}", namespace, e.toString());
      return;
    }
    // INFO once per collection: a deployment fact (a standalone server has no change streams),
    // not contention; the retries after it are DEBUG
    String message =
        "no change stream on lock collection {} ({}); waiting acquires poll, and the stream is"
            + " tried again in a minute";
    if (first) {
      LOG.info(message, namespace, e.toString());
    } else {
      LOG.debug(message, namespace, e.toString());
    }
  }
}
