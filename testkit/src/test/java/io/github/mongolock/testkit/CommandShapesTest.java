package io.github.mongolock.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.MongoException;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.UpdateOptions;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/** CommandShapes against whatever server TestMongo chose (strict embedded by default). */
class CommandShapesTest {

  private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);

  @Test
  void recordsShapesWithTypesAndKeepsOperatorsAndFlags() {
    CommandShapes shapes = new CommandShapes();
    try (MongoClient client = TestMongo.get().newClient(shapes)) {
      MongoCollection<Document> c = client.getDatabase("shapes1").getCollection("locks");
      c.drop();
      c.updateOne(
          Document.parse("{lockID: 'a', $or: [{writer: null}, {writer: 'me'}]}"),
          Document.parse("{$set: {writer: 'me', n: 1}}"),
          UPSERT);
      c.find(Document.parse("{lockID: 'a'}")).first();
      c.find(Document.parse("{lockID: 'b'}")).first();
    }
    List<String> seen = shapes.shapes();
    assertTrue(
        seen.contains(
            "update locks {q: {lockID: string, $or: [{writer: null}, {writer: string}]},"
                + " u: {$set: {writer: string, n: int}}, upsert: true} {ordered: true}"),
        String.join("\n", seen));
    assertEquals(
        1,
        seen.stream().filter(s -> s.startsWith("find locks {filter: {lockID: string}")).count(),
        "distinct: " + seen);
    assertEquals(seen.stream().sorted().toList(), seen, "sorted");
    shapes.assertNoViolations();
  }

  @Test
  void reportsAnExprUpsertAsAViolationWhateverTheServerAnswered() {
    CommandShapes shapes = new CommandShapes();
    try (MongoClient client = TestMongo.get().newClient(shapes)) {
      MongoCollection<Document> c = client.getDatabase("shapes2").getCollection("locks");
      try {
        c.updateOne(
            Document.parse("{lockID: 'a', $expr: {$lt: ['$at', '$$NOW']}}"),
            Document.parse("{$set: {writer: 'me'}}"),
            UPSERT);
      } catch (MongoException refusedByAMongod) {
        // a real mongod and the strict server refuse it; the listener saw it either way
      }
    }
    assertEquals(1, shapes.violations().size(), shapes.violations().toString());
    String violation = shapes.violations().get(0);
    assertTrue(violation.startsWith("update locks {q: {lockID: string, $expr:"), violation);
    assertTrue(
        violation.contains("224 QueryFeatureNotAllowed '$expr is not allowed in the query"),
        violation);
    AssertionError error = assertThrows(AssertionError.class, shapes::assertNoViolations);
    assertTrue(error.getMessage().contains("1 command(s) a mongod refuses"), error.getMessage());
  }

  @Test
  void writeConcernRulesOfAStandaloneAreOptIn() {
    CommandShapes any = new CommandShapes();
    CommandShapes standalone = CommandShapes.forStandalone();
    try (MongoClient a = TestMongo.get().newClient(any);
        MongoClient s = TestMongo.get().newClient(standalone)) {
      for (MongoClient client : List.of(a, s)) {
        try {
          client
              .getDatabase("shapes3")
              .getCollection("c")
              .withWriteConcern(new WriteConcern(2))
              .insertOne(new Document("x", 1));
        } catch (MongoException refusedOnAStandalone) {
          // the strict server is a standalone; a replica set of one would time out or refuse too
        }
      }
    }
    assertEquals(List.of(), any.violations());
    assertEquals(1, standalone.violations().size(), standalone.violations().toString());
    assertTrue(
        standalone
            .violations()
            .get(0)
            .contains("cannot use 'w' > 1 when a host is not replicated"));
    assertTrue(
        standalone.shapes().get(0).contains("writeConcern: {w: int}"),
        standalone.shapes().toString());
  }
}
