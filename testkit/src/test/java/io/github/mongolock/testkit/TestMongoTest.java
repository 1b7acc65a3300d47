package io.github.mongolock.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import org.bson.Document;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TestMongoTest {

  @Test
  void theEmbeddedDefaultIsTheStrictServer() {
    TestMongo mongo = TestMongo.get();
    Assumptions.assumeTrue(
        mongo.isEmbedded(), "MONGODB_URI or Docker chose " + mongo.description());
    assertTrue(mongo.isStrict());
    assertTrue(
        mongo.description().startsWith("strict embedded mongo-java-server"), mongo.description());
    try (MongoClient client = mongo.newClient()) {
      Document reply =
          client
              .getDatabase("testmongo")
              .runCommand(
                  Document.parse(
                      "{update: 'c', updates: [{q: {_id: 1, $expr: {$eq: [1, 1]}}, u: {$set: {a:"
                          + " 1}}, upsert: true}]}"));
      assertEquals(
          224, reply.getList("writeErrors", Document.class).get(0).getInteger("code"), "strict");
    }
  }
}
