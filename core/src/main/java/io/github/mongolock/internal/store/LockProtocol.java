package io.github.mongolock.internal.store;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoClientException;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoExecutionTimeoutException;
import com.mongodb.MongoOperationTimeoutException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoWriteException;
import com.mongodb.ReadConcern;
import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.result.UpdateResult;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

/**
 * Sends {@link LockCommand}s to the lock collection and classifies what came back. The only class
 * that talks to MongoDB on a lock's behalf (the heartbeat sends {@link LockCommands#renewal}).
 *
 * <p>Every command goes to the primary with the given concerns, whatever read preference the
 * caller's collection had: lock state read from a secondary lags, and its {@code $$NOW} is that
 * secondary's clock. Every method takes a timeout in milliseconds (0 or less: none), the driver's
 * client-side operation timeout ({@code timeoutMS}, driver 5.2+): server selection, connection
 * checkout, the command and its write concern all count, and the driver sends the server what is
 * left as {@code maxTimeMS}.
 */
public final class LockProtocol {

  private static final int DUPLICATE_KEY = 11000;

  /** What a write command did. */
  public enum Outcome {
    /** It matched (or inserted, or deleted) a document: the rule's condition held. */
    APPLIED,
    /** It matched nothing: the condition did not hold, or the document does not exist. */
    NOT_APPLIED,
    /** An upsert met a document it did not match and tried to insert a second one (11000). */
    DUPLICATE_KEY
  }

  private final MongoCollection<Document> collection;

  public LockProtocol(
      MongoCollection<Document> collection, WriteConcern writeConcern, ReadConcern readConcern) {
    // derived only where the caller's collection differs (each derivation copies its settings)
    MongoCollection<Document> c = collection;
    if (!writeConcern.equals(c.getWriteConcern())) {
      c = c.withWriteConcern(writeConcern);
    }
    if (!readConcern.equals(c.getReadConcern())) {
      c = c.withReadConcern(readConcern);
    }
    if (!ReadPreference.primary().equals(c.getReadPreference())) {
      c = c.withReadPreference(ReadPreference.primary());
    }
    this.collection = c;
  }

  /** The lock collection as this protocol uses it (primary, the lock's concerns). */
  public MongoCollection<Document> collection() {
    return collection;
  }

  /** Bounded views of the collection by timeout (a few dozen distinct values at most). */
  private final ConcurrentHashMap<Long, MongoCollection<Document>> boundedViews =
      new ConcurrentHashMap<>();

  private static final int MAX_BOUNDED_VIEWS = 128;

  /**
   * The collection bounded by {@code timeoutMillis}, or as it is for 0 or less. Deriving a view
   * copies the collection's settings, so views are kept by timeout; timeouts above 100 ms are
   * rounded down to a multiple of 100 ms (a bound never grows), so that the remaining times of
   * waits and unlocks fall on a few dozen values.
   */
  public MongoCollection<Document> bounded(long timeoutMillis) {
    if (timeoutMillis <= 0) {
      return collection;
    }
    long rounded = timeoutMillis > 100 ? timeoutMillis - timeoutMillis % 100 : timeoutMillis;
    MongoCollection<Document> view = boundedViews.get(rounded);
    if (view == null) {
      if (boundedViews.size() >= MAX_BOUNDED_VIEWS) {
        boundedViews.clear();
      }
      view =
          boundedViews.computeIfAbsent(
              rounded, ms -> collection.withTimeout(ms, TimeUnit.MILLISECONDS));
    }
    return view;
  }

  /** Sends an update or delete command, without a client-side timeout. */
  public Outcome run(LockCommand command) {
    return run(command, 0);
  }

  /** Sends an update or delete command. */
  public Outcome run(LockCommand command, long timeoutMillis) {
    MongoCollection<Document> target = bounded(timeoutMillis);
    try {
      switch (command.kind()) {
        case UPDATE_ONE -> {
          UpdateResult r =
              target.updateOne(
                  command.filter(), command.update(), new UpdateOptions().upsert(command.upsert()));
          return r.getMatchedCount() > 0 || r.getUpsertedId() != null
              ? Outcome.APPLIED
              : Outcome.NOT_APPLIED;
        }
        case UPDATE_MANY -> {
          return target.updateMany(command.filter(), command.update()).getMatchedCount() > 0
              ? Outcome.APPLIED
              : Outcome.NOT_APPLIED;
        }
        case DELETE_ONE -> {
          return target.deleteOne(command.filter()).getDeletedCount() > 0
              ? Outcome.APPLIED
              : Outcome.NOT_APPLIED;
        }
        case FIND_ONE_AND_UPDATE -> {
          if (command.upsert()) {
            throw new IllegalArgumentException("an upsert's reply is needed: " + command);
          }
          return findAndUpdate(command, timeoutMillis) != null
              ? Outcome.APPLIED
              : Outcome.NOT_APPLIED;
        }
        default -> throw new IllegalArgumentException("not a write: " + command);
      }
    } catch (MongoException e) {
      if (command.upsert() && isDuplicateKey(e)) {
        return Outcome.DUPLICATE_KEY;
      }
      throw e;
    } catch (IllegalStateException e) {
      throw refusedByDriver(e);
    }
  }

  /**
   * One acquire attempt without a timeout; see {@link #acquire(LockCommands.Acquire, boolean,
   * long)}.
   */
  public boolean acquire(LockCommands.Acquire acquire, boolean judgeClock) {
    return acquire(acquire, judgeClock, 0);
  }

  /**
   * One acquire attempt: the upsert; then, when it met a document it does not match, the
   * clock-aware update if {@code judgeClock}. True when granted. Without {@code judgeClock} a held
   * lock costs one command; with it, two. Each command is bounded by {@code timeoutMillis}.
   */
  public boolean acquire(LockCommands.Acquire acquire, boolean judgeClock, long timeoutMillis) {
    Outcome outcome = run(acquire.upsert(), timeoutMillis);
    if (outcome == Outcome.DUPLICATE_KEY && judgeClock) {
      outcome = run(acquire.clockAware(), timeoutMillis);
    }
    return outcome == Outcome.APPLIED;
  }

  /** Sends a findOneAndUpdate and returns the document after the update, or null. */
  public Document findAndUpdate(LockCommand command) {
    return findAndUpdate(command, 0);
  }

  /** As {@link #findAndUpdate(LockCommand)}, bounded by {@code timeoutMillis}. */
  public Document findAndUpdate(LockCommand command, long timeoutMillis) {
    try {
      return bounded(timeoutMillis)
          .findOneAndUpdate(
              command.filter(),
              command.update(),
              new FindOneAndUpdateOptions()
                  .upsert(command.upsert())
                  .returnDocument(ReturnDocument.AFTER));
    } catch (IllegalStateException e) {
      throw refusedByDriver(e);
    }
  }

  /** The lock's stored document, or null. */
  public LockDocument read(LockCommand read) {
    return read(read, 0);
  }

  /** As {@link #read(LockCommand)}, bounded by {@code timeoutMillis}. */
  public LockDocument read(LockCommand read, long timeoutMillis) {
    try {
      return LockDocument.of(bounded(timeoutMillis).find(read.filter()).first());
    } catch (IllegalStateException e) {
      throw refusedByDriver(e);
    }
  }

  /**
   * The driver's refusal to work as the {@link MongoException} it is for the lock: a closed
   * MongoClient fails every operation with an IllegalStateException ("state should be: open"),
   * which callers that handle MongoDB's failures would otherwise let through as it is, naming
   * neither the lock nor the client. Nothing was sent, so the outcome is known.
   */
  public static MongoClientException refusedByDriver(IllegalStateException e) {
    String m = e.getMessage();
    return new MongoClientException(
        "state should be: open".equals(m)
            ? "the MongoClient is closed (" + m + ")"
            : "the MongoDB driver refused the command: " + m,
        e);
  }

  /**
   * True when MongoDB may have applied the operation although no reply arrived: the connection
   * failed, or a timeout (client-side, or the server's {@code maxTimeMS}) ended the wait for the
   * reply.
   */
  public static boolean outcomeUnknown(MongoException e) {
    return e instanceof MongoSocketException
        || e instanceof MongoOperationTimeoutException
        || e instanceof MongoExecutionTimeoutException
        || e.hasErrorLabel(MongoException.TRANSIENT_TRANSACTION_ERROR_LABEL)
        || e.hasErrorLabel("RetryableWriteError");
  }

  /**
   * True for a duplicate key error, as a write error (update) or a command error (findAndModify).
   */
  public static boolean isDuplicateKey(MongoException e) {
    return e.getCode() == DUPLICATE_KEY
        || (e instanceof MongoWriteException w
            && w.getError().getCategory() == ErrorCategory.DUPLICATE_KEY)
        || (e instanceof MongoCommandException c && c.getErrorCode() == DUPLICATE_KEY);
  }
}
