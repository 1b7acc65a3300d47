package io.github.mongolock.internal.store;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
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
import org.bson.Document;

/**
 * Sends {@link LockCommand}s to the lock collection and classifies what came back. The only class
 * that talks to MongoDB on a lock's behalf (the heartbeat sends {@link LockCommands#renewal}).
 *
 * <p>Every command goes to the primary with the given concerns, whatever read preference the
 * caller's collection had: lock state read from a secondary lags, and its {@code $$NOW} is that
 * secondary's clock.
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
    this.collection =
        collection
            .withWriteConcern(writeConcern)
            .withReadConcern(readConcern)
            .withReadPreference(ReadPreference.primary());
  }

  /** The lock collection as this protocol uses it (primary, the lock's concerns). */
  public MongoCollection<Document> collection() {
    return collection;
  }

  /** Sends an update or delete command. */
  public Outcome run(LockCommand command) {
    try {
      switch (command.kind()) {
        case UPDATE_ONE -> {
          UpdateResult r =
              collection.updateOne(
                  command.filter(), command.update(), new UpdateOptions().upsert(command.upsert()));
          return r.getMatchedCount() > 0 || r.getUpsertedId() != null
              ? Outcome.APPLIED
              : Outcome.NOT_APPLIED;
        }
        case UPDATE_MANY -> {
          return collection.updateMany(command.filter(), command.update()).getMatchedCount() > 0
              ? Outcome.APPLIED
              : Outcome.NOT_APPLIED;
        }
        case DELETE_ONE -> {
          return collection.deleteOne(command.filter()).getDeletedCount() > 0
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
    }
  }

  /**
   * One acquire attempt: the upsert; then, when it met a document it does not match, the
   * clock-aware update if {@code judgeClock}. True when granted. Without {@code judgeClock} a held
   * lock costs one command; with it, two.
   */
  public boolean acquire(LockCommands.Acquire acquire, boolean judgeClock) {
    Outcome outcome = run(acquire.upsert());
    if (outcome == Outcome.DUPLICATE_KEY && judgeClock) {
      outcome = run(acquire.clockAware());
    }
    return outcome == Outcome.APPLIED;
  }

  /** Sends a findOneAndUpdate and returns the document after the update, or null. */
  public Document findAndUpdate(LockCommand command) {
    return collection.findOneAndUpdate(
        command.filter(),
        command.update(),
        new FindOneAndUpdateOptions()
            .upsert(command.upsert())
            .returnDocument(ReturnDocument.AFTER));
  }

  /** The lock's stored document, or null. */
  public LockDocument read(LockCommand read) {
    return LockDocument.of(collection.find(read.filter()).first());
  }

  /** True when MongoDB may have applied the operation although no reply arrived. */
  public static boolean outcomeUnknown(MongoException e) {
    return e instanceof MongoSocketException
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
