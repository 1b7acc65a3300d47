package io.github.mongolock;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.github.mongolock.internal.store.LockProtocol;
import org.bson.Document;

/**
 * A resource protected by a lock's fencing tokens, the way a real one should check them: the token
 * check and the write are one conditional update, so a writer whose token is smaller than one the
 * resource has already seen is refused even if it still believes it holds the lock (it was paused
 * past its lease, and a successor wrote meanwhile).
 *
 * <pre>
 * { _id: "report", value: "...", fence: 18 }   // fence: the greatest token that wrote
 * </pre>
 */
final class FencedResource {

  private final MongoCollection<Document> data;
  private final String id;

  FencedResource(MongoCollection<Document> data, String id) {
    this.data = data;
    this.id = id;
  }

  /** Writes value with token; false (and nothing written) when a greater token wrote before. */
  boolean write(long token, String value) {
    try {
      // matched (fence <= token) or inserted (no document yet): written
      data.updateOne(
          Filters.and(
              Filters.eq("_id", id),
              Filters.or(Filters.exists("fence", false), Filters.lte("fence", token))),
          Updates.combine(Updates.set("value", value), Updates.set("fence", token)),
          new UpdateOptions().upsert(true));
      return true;
    } catch (MongoException e) {
      if (LockProtocol.isDuplicateKey(e)) {
        return false; // the document exists with a greater fence: the upsert's insert collided
      }
      throw e;
    }
  }

  String value() {
    Document doc = data.find(Filters.eq("_id", id)).first();
    return doc == null ? null : doc.getString("value");
  }
}
