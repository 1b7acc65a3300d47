package io.github.mongolock.internal.store;

import org.bson.BsonDocument;

/**
 * One command of the lock protocol, rendered: what {@link LockProtocol} sends, with no I/O here.
 *
 * @param name the rule it carries out, for messages and tests
 * @param kind the collection method that sends it
 * @param filter the query
 * @param update the update (an empty document for deletes and finds)
 * @param upsert whether it may insert; an upsert's filter never contains {@code $expr}, which
 *     mongod refuses there (224 QueryFeatureNotAllowed;
 *     src/mongo/db/query/write_ops/canonical_update.cpp, 4.4: src/mongo/db/ops/parsed_update.cpp)
 * @param resendSafe whether the command may be sent again when its reply was lost: true only when a
 *     second application leaves the same state and reports the same outcome as the first did, so
 *     that the resend's answer can stand for both
 */
public record LockCommand(
    String name,
    Kind kind,
    BsonDocument filter,
    BsonDocument update,
    boolean upsert,
    boolean resendSafe) {

  /** The collection method a command is sent with. */
  public enum Kind {
    UPDATE_ONE,
    UPDATE_MANY,
    DELETE_ONE,
    FIND_ONE_AND_UPDATE,
    FIND,
    /** findOneAndDelete: the admin's forced release, which returns what it deleted. */
    FIND_ONE_AND_DELETE
  }

  /** "name: filter update", for messages and golden listings. */
  @Override
  public String toString() {
    return name
        + " "
        + kind
        + (upsert ? " upsert" : "")
        + " filter="
        + filter.toJson()
        + (update.isEmpty() ? "" : " update=" + update.toJson());
  }
}
