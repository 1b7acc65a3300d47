package io.github.mongolock.testkit.strict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoServerException;
import com.mongodb.MongoWriteException;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.result.UpdateResult;
import de.bwaldvogel.mongo.MongoServer;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each rule of the strict server, through the real driver: the refusal, and its allowed neighbour.
 */
class StrictServerTest {

  private static MongoServer server;
  private static MongoClient client;
  private MongoDatabase db;
  private MongoCollection<Document> c;

  @BeforeAll
  static void start() {
    server = StrictBackend.start();
    client = MongoClients.create(StrictBackend.uri(server));
  }

  @AfterAll
  static void stop() {
    client.close();
    server.shutdownNow();
  }

  @BeforeEach
  void clean() {
    db = client.getDatabase("strict");
    db.drop();
    c = db.getCollection("c");
  }

  private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);
  private static final String EXPR_UPSERT =
      "$expr is not allowed in the query predicate for an upsert";

  private static Document doc(String json) {
    return Document.parse(json);
  }

  private static void assertWriteError(int code, String message, Runnable write) {
    MongoWriteException e = assertThrows(MongoWriteException.class, write::run);
    assertEquals(code, e.getError().getCode(), e.getMessage());
    assertEquals(message, e.getError().getMessage());
  }

  private static MongoCommandException assertCommandError(
      int code, String codeName, String message, Runnable command) {
    MongoCommandException e = assertThrows(MongoCommandException.class, command::run);
    assertEquals(code, e.getErrorCode(), e.getMessage());
    assertEquals(codeName, e.getErrorCodeName());
    assertEquals(message, e.getErrorMessage());
    assertTrue(!e.getResponse().containsKey("$err"), "mongod sends no $err: " + e.getResponse());
    return e;
  }

  // --- $expr in an upsert's query ---

  @Test
  void exprInUpsertUpdateIsRefusedAtAnyLogicalDepth() {
    for (String q :
        List.of(
            "{_id: 1, $expr: {$eq: [1, 1]}}",
            "{_id: 1, $or: [{a: 1}, {$expr: {$eq: [1, 1]}}]}",
            "{$and: [{_id: 1}, {$nor: [{$expr: {$eq: [1, 2]}}]}]}")) {
      assertWriteError(224, EXPR_UPSERT, () -> c.updateOne(doc(q), doc("{$set: {a: 1}}"), UPSERT));
    }
    assertEquals(0, c.countDocuments());
  }

  @Test
  void exprWithoutUpsertAndWhereInUpsertStillWork() {
    c.insertOne(doc("{_id: 1, a: 0}"));
    UpdateResult r = c.updateOne(doc("{_id: 1, $expr: {$eq: ['$a', 0]}}"), doc("{$set: {a: 1}}"));
    assertEquals(1, r.getModifiedCount());
    // The upsert parser removes only kExpr from the allowed features: $where stays allowed.
    UpdateResult w = c.updateOne(doc("{_id: 2, $where: 'true'}"), doc("{$set: {a: 2}}"), UPSERT);
    assertEquals(2, w.getUpsertedId().asInt32().getValue());
  }

  @Test
  void exprInUpsertFindAndModifyIsACommandError() {
    assertCommandError(
        224,
        "QueryFeatureNotAllowed",
        EXPR_UPSERT,
        () ->
            c.findOneAndUpdate(
                doc("{_id: 1, $expr: {$eq: [1, 1]}}"),
                doc("{$set: {a: 1}}"),
                new FindOneAndUpdateOptions().upsert(true)));
    c.insertOne(doc("{_id: 1, a: 0}"));
    Document found =
        c.findOneAndUpdate(
            doc("{_id: 1, $expr: {$eq: ['$a', 0]}}"),
            doc("{$set: {a: 1}}"),
            new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
    assertEquals(1, found.getInteger("a"));
    Document upserted =
        c.findOneAndUpdate(
            doc("{_id: 2}"),
            doc("{$set: {a: 2}}"),
            new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
    assertEquals(doc("{_id: 2, a: 2}"), upserted);
  }

  @Test
  void exprInsideElemMatchIsRefusedInEveryQuery() {
    c.insertOne(doc("{_id: 1, arr: [{x: 1}]}"));
    MongoServerException e =
        assertThrows(
            MongoCommandException.class,
            () -> c.find(doc("{arr: {$elemMatch: {$expr: {$eq: [1, 1]}}}}")).first());
    assertEquals(2, e.getCode());
    assertEquals(
        "$expr can only be applied to the top-level document",
        ((MongoCommandException) e).getErrorMessage());
    assertEquals(1, c.countDocuments(doc("{arr: {$elemMatch: {x: 1}}}")));
  }

  // --- reply shape: ordered batches, writeErrors without codeName ---

  @Test
  void anOrderedBatchStopsAtItsFirstWriteError() {
    List<UpdateOneModel<Document>> batch =
        List.of(
            new UpdateOneModel<>(doc("{_id: 1}"), doc("{$set: {a: 1}}"), UPSERT),
            new UpdateOneModel<>(
                doc("{_id: 2, $expr: {$eq: [1, 1]}}"), doc("{$set: {a: 1}}"), UPSERT),
            new UpdateOneModel<>(doc("{_id: 3}"), doc("{$set: {a: 1}}"), UPSERT));
    MongoBulkWriteException e =
        assertThrows(MongoBulkWriteException.class, () -> c.bulkWrite(batch));
    assertEquals(1, e.getWriteErrors().size());
    assertEquals(1, e.getWriteErrors().get(0).getIndex());
    assertEquals(224, e.getWriteErrors().get(0).getCode());
    assertEquals(1, c.countDocuments(), "statement 2 must not have run");

    c.deleteMany(new Document());
    MongoBulkWriteException unordered =
        assertThrows(
            MongoBulkWriteException.class,
            () ->
                c.bulkWrite(batch, new com.mongodb.client.model.BulkWriteOptions().ordered(false)));
    assertEquals(1, unordered.getWriteErrors().size());
    assertEquals(2, c.countDocuments(), "unordered: statement 2 runs");
  }

  @Test
  void writeErrorsCarryIndexCodeAndErrmsgOnly() {
    Document reply =
        db.runCommand(
            doc(
                "{update: 'c', updates: [{q: {_id: 1, $expr: {$eq: [1, 1]}}, u: {$set: {a: 1}},"
                    + " upsert: true}]}"));
    Document error = reply.getList("writeErrors", Document.class).get(0);
    assertEquals(Set.of("index", "code", "errmsg"), error.keySet());
    assertEquals(1.0, reply.get("ok", Number.class).doubleValue());
  }

  // --- documents larger than 16 MiB ---

  @Test
  void anUpdateThatMakesTheDocumentTooLargeIsRefused() {
    String nineMiB = "x".repeat(9 * 1024 * 1024);
    c.insertOne(new Document("_id", 1).append("a", nineMiB));
    assertWriteError(
        10334,
        "Plan executor error during update :: caused by :: Resulting document after update is"
            + " larger than 16777216",
        () -> c.updateOne(doc("{_id: 1}"), new Document("$set", new Document("b", nineMiB))));
    assertEquals(1, c.countDocuments(doc("{b: {$exists: false}}")), "nothing written");
    String fiveMiB = "y".repeat(5 * 1024 * 1024);
    UpdateResult r = c.updateOne(doc("{_id: 1}"), new Document("$set", new Document("b", fiveMiB)));
    assertEquals(1, r.getModifiedCount());
  }

  // --- $push / $addToSet on a field that is not an array ---

  @Test
  void pushAndAddToSetOnANonArrayAreRefused() {
    c.insertOne(doc("{_id: 1, n: null, s: 'x'}"));
    assertWriteError(
        2,
        "Plan executor error during update :: caused by :: The field 'n' must be an array but is"
            + " of type null in document {_id: 1}",
        () -> c.updateOne(doc("{_id: 1}"), doc("{$push: {n: 1}}")));
    assertWriteError(
        2,
        "Plan executor error during update :: caused by :: Cannot apply $addToSet to non-array"
            + " field. Field named 'n' has non-array type null",
        () -> c.updateOne(doc("{_id: 1}"), doc("{$addToSet: {n: 1}}")));
    assertWriteError(
        2,
        "Plan executor error during update :: caused by :: Cannot apply $addToSet to non-array"
            + " field. Field named 's' has non-array type string",
        () -> c.updateOne(doc("{_id: 1}"), doc("{$addToSet: {s: 1}}")));
    MongoCommandException f =
        assertThrows(
            MongoCommandException.class,
            () -> c.findOneAndUpdate(doc("{_id: 1}"), doc("{$push: {n: 1}}")));
    assertEquals(2, f.getErrorCode());
    assertEquals(
        "Plan executor error during findAndModify :: caused by :: The field 'n' must be an array"
            + " but is of type null in document {_id: 1}",
        f.getErrorMessage());
    assertNull(c.find(doc("{_id: 1}")).first().get("n"), "n stays null");
  }

  @Test
  void pushAndAddToSetOnAMissingFieldOrAnArrayWork() {
    c.insertOne(doc("{_id: 1, arr: [1]}"));
    c.updateOne(doc("{_id: 1}"), doc("{$push: {arr: 2, fresh: 1}, $addToSet: {set: 1}}"));
    Document d = c.find(doc("{_id: 1}")).first();
    assertEquals(List.of(1, 2), d.getList("arr", Integer.class));
    assertEquals(List.of(1), d.getList("fresh", Integer.class));
    assertEquals(List.of(1), d.getList("set", Integer.class));
  }

  // --- write concern on a standalone ---

  @Test
  void writeConcernAboveOneOrATagIsRefusedOnAStandalone() {
    MongoServerException e =
        assertThrows(
            MongoServerException.class,
            () -> c.withWriteConcern(new WriteConcern(2)).insertOne(doc("{_id: 1}")));
    assertInstanceOf(MongoCommandException.class, e, "a command error, not a writeConcernError");
    assertEquals(2, e.getCode());
    assertEquals(
        "cannot use 'w' > 1 when a host is not replicated",
        ((MongoCommandException) e).getErrorMessage());
    MongoCommandException tag =
        assertThrows(
            MongoCommandException.class,
            () ->
                c.withWriteConcern(new WriteConcern("dc"))
                    .updateOne(doc("{_id: 1}"), doc("{$set: {a: 1}}"), UPSERT));
    assertEquals(
        "cannot use non-majority 'w' mode dc when a host is not a member of a replica set",
        tag.getErrorMessage());
    assertEquals(0, c.countDocuments());
  }

  @Test
  void writeConcernMajorityAndOneAreAccepted() {
    c.withWriteConcern(WriteConcern.MAJORITY).insertOne(doc("{_id: 1}"));
    c.withWriteConcern(WriteConcern.W1).insertOne(doc("{_id: 2}"));
    assertEquals(2, c.countDocuments());
  }

  // --- createIndexes conflicts ---

  @Test
  void anIndexKeyUnderASecondNameOrANameOnASecondKeyIsRefused() {
    c.createIndex(doc("{a: 1}"), new IndexOptions().name("a_1"));
    assertCommandError(
        85,
        "IndexOptionsConflict",
        "Index already exists with a different name: a_1",
        () -> c.createIndex(doc("{a: 1}"), new IndexOptions().name("other")));
    MongoCommandException e =
        assertThrows(
            MongoCommandException.class,
            () -> c.createIndex(doc("{b: 1}"), new IndexOptions().name("a_1")));
    assertEquals(86, e.getErrorCode());
    assertEquals("IndexKeySpecsConflict", e.getErrorCodeName());
    assertTrue(
        e.getErrorMessage()
            .startsWith("An existing index has the same name as the requested index."),
        e.getErrorMessage());
    assertEquals(2, c.listIndexes().into(new ArrayList<>()).size(), "only _id_ and a_1");
  }

  @Test
  void theSameIndexAgainAndAnotherIndexAreAccepted() {
    c.createIndex(doc("{a: 1}"), new IndexOptions().name("a_1"));
    c.createIndex(doc("{a: 1}"), new IndexOptions().name("a_1"));
    c.createIndex(doc("{b: 1}"), new IndexOptions().name("b_1"));
    assertEquals(3, c.listIndexes().into(new ArrayList<>()).size());
  }

  // --- pipeline updates: an emulator limit ---

  @Test
  void pipelineUpdatesAreRefusedAsAnEmulatorLimit() {
    c.insertOne(doc("{_id: 1}"));
    MongoWriteException e =
        assertThrows(
            MongoWriteException.class,
            () -> c.updateOne(doc("{_id: 1}"), List.of(doc("{$set: {a: 1}}"))));
    assertEquals(StrictBackend.EMULATOR_LIMIT_CODE, e.getError().getCode());
    assertTrue(e.getError().getMessage().contains("mongo-java-server"), e.getMessage());
    MongoCommandException f =
        assertThrows(
            MongoCommandException.class,
            () -> c.findOneAndUpdate(doc("{_id: 1}"), List.of(doc("{$set: {a: 1}}"))));
    assertEquals(StrictBackend.EMULATOR_LIMIT_CODE, f.getErrorCode());
    assertEquals("NotImplemented", f.getErrorCodeName());
    assertEquals(1, c.updateOne(doc("{_id: 1}"), doc("{$set: {a: 1}}")).getModifiedCount());
  }

  // --- $add of two dates ---

  @Test
  void addOfTwoDatesIsRefusedAndDatePlusNumberWorks() {
    c.insertOne(new Document("_id", 1).append("d", new Date(1000)).append("ms", 5));
    MongoCommandException e =
        assertThrows(
            MongoCommandException.class,
            () -> c.find(doc("{$expr: {$gt: [{$add: ['$d', '$d']}, 0]}}")).first());
    assertEquals(16612, e.getErrorCode());
    assertEquals("only one date allowed in an $add expression", e.getErrorMessage());
    assertEquals(
        1,
        c.countDocuments(
            new Document(
                "$expr",
                new Document(
                    "$eq", List.of(new Document("$add", List.of("$d", "$ms")), new Date(1005))))));
  }

  // --- the lax emulator, for contrast ---

  @Test
  void theLaxEmulatorAcceptsWhatTheStrictServerRefuses() {
    MongoServer lax = StrictBackend.startLax();
    try (MongoClient laxClient = MongoClients.create(StrictBackend.uri(lax))) {
      MongoCollection<Document> laxC = laxClient.getDatabase("lax").getCollection("c");
      UpdateResult r =
          laxC.updateOne(doc("{_id: 1, $expr: {$eq: [1, 1]}}"), doc("{$set: {a: 1}}"), UPSERT);
      assertEquals(1, r.getUpsertedId().asInt32().getValue());
    } finally {
      lax.shutdownNow();
    }
  }

  // --- duplicate key on an upsert that mongod does not retry ---

  @Test
  void anUpsertWhoseQueryIsNotTheViolatedIndexKeepsItsDuplicateKeyError() {
    c.insertOne(doc("{_id: 1, x: 3}"));
    MongoWriteException e =
        assertThrows(
            MongoWriteException.class,
            () -> c.updateOne(doc("{_id: 1, x: 5}"), doc("{$set: {a: 1}}"), UPSERT));
    assertEquals(11000, e.getError().getCode());
  }
}
