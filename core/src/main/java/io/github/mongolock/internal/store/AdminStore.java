package io.github.mongolock.internal.store;

import static io.github.mongolock.internal.store.LockDocument.FENCING_COUNTER;
import static io.github.mongolock.internal.store.LockDocument.LOCK_ID;
import static io.github.mongolock.internal.store.LockDocument.TOKEN;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The reads and writes of the admin API (LockAdmin, in the API package): lock documents with the
 * server's clock, fencing counters, and the forced releases of {@link LockCommands}. Everything
 * goes to the primary with majority read and write concern, as the lock's own commands do by
 * default ({@link LockProtocol}).
 *
 * <p>The server's clock comes with the documents, in the same command: an aggregation whose last
 * stage adds {@code $$NOW}. {@code $$NOW} is "the current datetime value", the same for every
 * document and stage of one pipeline (MongoDB 4.2+, docs: reference/aggregation-variables; set once
 * per command in {@code Variables::generateRuntimeConstants}, src/mongo/db/pipeline/variables.cpp),
 * and it is the clock the lock's {@code $expr} rules judge leases and marks by. The {@code hello}
 * reply's {@code localTime} would need a second command and is missing from the embedded test
 * server; {@code serverStatus} needs the clusterMonitor privilege, which a lock user rarely has. A
 * read that finds no document therefore has no server time, and needs none: there is no state to
 * date.
 */
public final class AdminStore {

  /**
   * The field the listing adds to each document for the server's clock; removed before the document
   * is handed out. A stored field of that name would be shadowed, which no writer of lock documents
   * does.
   */
  static final String SERVER_TIME = "mongoLockServerTime";

  /** One read: the documents, and the server's clock when they were read (null when none). */
  public record Read(List<Document> documents, Date serverTime) {}

  private final MongoCollection<Document> collection;

  public AdminStore(MongoCollection<Document> collection) {
    this.collection =
        new LockProtocol(collection, WriteConcern.MAJORITY, ReadConcern.MAJORITY).collection();
  }

  /** The collection as the admin uses it (primary, majority concerns). */
  public MongoCollection<Document> collection() {
    return collection;
  }

  /**
   * Lock documents by lock ID, at most {@code limit}: those whose {@code lockID} is a string, which
   * leaves out the fencing counters ({@code lockID: {fencing: id}}) and anything else that is not a
   * lock document. Ordered by the server (by its collation, binary unless the collection was
   * created with another).
   */
  public Read locks(int limit) {
    return read(Filters.type(LOCK_ID, "string"), limit);
  }

  /** The document of {@code lockID} (the first, should the lockID index be missing). */
  public Read lock(String lockID) {
    return read(Filters.eq(LOCK_ID, lockID), 1);
  }

  private Read read(Bson match, int limit) {
    List<Document> pipeline =
        List.of(
            new Document("$match", match),
            new Document("$sort", new Document(LOCK_ID, 1)),
            new Document("$limit", limit),
            new Document("$addFields", new Document(SERVER_TIME, "$$NOW")));
    List<Document> documents = new ArrayList<>();
    Date serverTime = null;
    try {
      for (Document d : collection.aggregate(pipeline)) {
        if (d.remove(SERVER_TIME) instanceof Date now) {
          serverTime = now; // $$NOW is one value for the whole pipeline
        }
        documents.add(d);
      }
    } catch (IllegalStateException e) {
      throw LockProtocol.refusedByDriver(e);
    }
    return new Read(documents, serverTime);
  }

  /**
   * The last token each lock's fencing counter issued, by lock ID; locks without a counter are
   * missing from the map. One query on the unique {@code lockID} index.
   */
  public Map<String, Long> fencingTokens(Collection<String> lockIDs) {
    Map<String, Long> tokens = new HashMap<>();
    if (lockIDs.isEmpty()) {
      return tokens;
    }
    List<Document> counterIDs = new ArrayList<>();
    for (String lockID : new LinkedHashSet<>(lockIDs)) {
      counterIDs.add(new Document(FENCING_COUNTER, lockID));
    }
    try {
      for (Document counter :
          collection
              .find(Filters.in(LOCK_ID, counterIDs))
              .projection(Projections.include(LOCK_ID, TOKEN))) {
        if (counter.get(LOCK_ID) instanceof Document id
            && id.get(FENCING_COUNTER) instanceof String lockID
            && counter.get(TOKEN) instanceof Number token) {
          tokens.put(lockID, token.longValue());
        }
      }
    } catch (IllegalStateException e) {
      throw LockProtocol.refusedByDriver(e);
    }
    return tokens;
  }

  /**
   * Sends a forced release ({@link LockCommands#forceRelease} or {@link
   * LockCommands#forceReleaseClient}) and returns the document as it was just before, or null when
   * nothing matched.
   */
  public Document forceRelease(LockCommand command) {
    try {
      return switch (command.kind()) {
        case FIND_ONE_AND_DELETE -> collection.findOneAndDelete(command.filter());
        case FIND_ONE_AND_UPDATE ->
            collection.findOneAndUpdate(
                command.filter(),
                command.update(),
                new FindOneAndUpdateOptions().returnDocument(ReturnDocument.BEFORE));
        default -> throw new IllegalArgumentException("not a forced release: " + command);
      };
    } catch (IllegalStateException e) {
      throw LockProtocol.refusedByDriver(e);
    }
  }
}
