package io.github.mongolock.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import de.bwaldvogel.mongo.MongoServer;
import io.github.mongolock.testkit.strict.StrictBackend;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The proxy through the real driver against a strict embedded server of its own. Timing is only
 * asserted as lower bounds that the proxy guarantees (a held or delayed message is not forwarded
 * before its time), never as upper bounds tighter than many seconds.
 */
class FaultProxyTest {

  /** No retries: each fault shows in the operation that met it. */
  private static final String NO_RETRY = "retryWrites=false&retryReads=false";

  private static final Document PING = new Document("ping", 1);

  private static MongoServer server;
  private static MongoClient direct;

  private FaultProxy proxy;
  private String collectionName;

  @BeforeAll
  static void startServer() {
    server = StrictBackend.start();
    direct = MongoClients.create(StrictBackend.uri(server));
  }

  @AfterAll
  static void stopServer() {
    direct.close();
    server.shutdownNow();
  }

  @BeforeEach
  void startProxy(TestInfo test) {
    proxy = FaultProxy.inFrontOf(StrictBackend.uri(server));
    collectionName = test.getTestMethod().orElseThrow().getName();
  }

  @AfterEach
  void closeProxy() {
    proxy.close();
  }

  private MongoCollection<Document> collection(MongoClient client) {
    return client.getDatabase("faultproxy").getCollection(collectionName);
  }

  private static MongoClient client(String uri) {
    return MongoClients.create(uri);
  }

  private static long millisSince(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  @Test
  void forwardsInsertFindAndUpdate() {
    assertTrue(proxy.uri().startsWith("mongodb://127.0.0.1:" + proxy.port() + "/?"));
    assertTrue(proxy.uri().contains("directConnection=true"), proxy.uri());
    try (MongoClient client = client(proxy.uri())) {
      MongoCollection<Document> c = collection(client);
      c.insertOne(new Document("_id", 1).append("n", 0));
      c.updateOne(Filters.eq("_id", 1), Updates.inc("n", 5));
      assertEquals(5, c.find(Filters.eq("_id", 1)).first().getInteger("n"));
      assertEquals(5, collection(direct).find().first().getInteger("n"), "on the server");
      assertTrue(proxy.openConnections() >= 1);
    }
    assertEquals(0, proxy.connectionsCut());
    assertEquals(0, proxy.repliesDropped());
  }

  @Test
  void aDroppedReplyFailsTheUpdateThatTheServerApplied() {
    collection(direct).insertOne(new Document("_id", 1).append("n", 0));
    try (MongoClient client = client(proxy.uri(NO_RETRY))) {
      MongoCollection<Document> c = collection(client);
      assertEquals(0, c.find().first().getInteger("n"));
      proxy.dropNextReplies(1);
      // monitoring and ping traffic does not consume the count
      client.getDatabase("faultproxy").runCommand(PING);
      assertEquals(1, proxy.repliesToDrop());
      MongoSocketReadException lost =
          assertThrows(
              MongoSocketReadException.class,
              () -> c.updateOne(Filters.eq("_id", 1), Updates.inc("n", 1)));
      System.out.println("[fault-proxy] a dropped reply: " + lost);
      assertEquals(1, collection(direct).find().first().getInteger("n"), "applied once");
      assertEquals(1, proxy.repliesDropped());
      assertEquals(1, proxy.connectionsCut());
      assertEquals(0, proxy.repliesToDrop());
      c.updateOne(Filters.eq("_id", 1), Updates.inc("n", 1));
      assertEquals(2, collection(direct).find().first().getInteger("n"));
    }
  }

  @Test
  void dropNextRepliesToDropsOnlyTheNamedCommand() {
    collection(direct).insertMany(List.of(new Document("_id", 1), new Document("_id", 2)));
    try (MongoClient client = client(proxy.uri(NO_RETRY))) {
      MongoCollection<Document> c = collection(client);
      proxy.dropNextRepliesTo("delete", 1);
      c.updateOne(Filters.eq("_id", 1), Updates.set("a", 1));
      assertEquals(2, c.countDocuments());
      assertThrows(MongoSocketReadException.class, () -> c.deleteOne(Filters.eq("_id", 2)));
      assertNull(collection(direct).find(Filters.eq("_id", 2)).first(), "deleted on the server");
      assertEquals(1, proxy.repliesDropped());
      c.deleteOne(Filters.eq("_id", 1));
      assertEquals(0, collection(direct).countDocuments());
    }
  }

  @Test
  void cutAllFailsTheOperationInFlightAndTheNextOneSucceeds() throws Exception {
    CountDownLatch findStarted = new CountDownLatch(1);
    CommandListener listener =
        new CommandListener() {
          @Override
          public void commandStarted(CommandStartedEvent event) {
            if (event.getCommandName().equals("find")) {
              findStarted.countDown();
            }
          }
        };
    MongoClientSettings settings =
        MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(proxy.uri(NO_RETRY)))
            .addCommandListener(listener)
            .build();
    try (MongoClient client = MongoClients.create(settings)) {
      MongoCollection<Document> c = collection(client);
      c.insertOne(new Document("_id", 1));
      // the find's request is held, so it is in flight when the connections are cut
      proxy.blackhole(Duration.ofSeconds(30), false);
      long start = System.nanoTime();
      CompletableFuture<Document> find = CompletableFuture.supplyAsync(() -> c.find().first());
      assertTrue(findStarted.await(20, TimeUnit.SECONDS), "find started");
      assertTrue(proxy.cutAll() >= 1);
      ExecutionException failed =
          assertThrows(ExecutionException.class, () -> find.get(20, TimeUnit.SECONDS));
      // a read error in every run so far; a write error would be as right for a cut connection
      assertTrue(failed.getCause() instanceof MongoSocketException, failed.getCause()::toString);
      System.out.println("[fault-proxy] an operation in flight when cut: " + failed.getCause());
      assertTrue(millisSince(start) < 25_000, "cut, not the end of the hole");
      proxy.clear();
      assertEquals(1, c.find().first().getInteger("_id"));
    }
  }

  @Test
  void cutAllFailsTheNextOperationOnAPooledConnection() {
    // polling monitor, no heartbeat during the test: only the operation meets the cut connection
    String uri = proxy.uri(NO_RETRY + "&serverMonitoringMode=poll&heartbeatFrequencyMS=60000");
    try (MongoClient client = client(uri)) {
      MongoCollection<Document> c = collection(client);
      c.insertOne(new Document("_id", 1));
      assertTrue(proxy.cutAll() >= 1);
      MongoSocketReadException cut =
          assertThrows(MongoSocketReadException.class, () -> c.find().first());
      System.out.println("[fault-proxy] the next operation after a cut: " + cut);
      assertEquals(1, c.find().first().getInteger("_id"));
      assertTrue(proxy.connectionsCut() >= 1);
    }
  }

  @Test
  void aBlackholeHoldsTheOperationUntilItEnds() {
    try (MongoClient client = client(proxy.uri(NO_RETRY))) {
      MongoCollection<Document> c = collection(client);
      c.insertOne(new Document("_id", 1));
      long start = System.nanoTime();
      proxy.blackhole(Duration.ofMillis(500), false);
      assertTrue(proxy.blackholed());
      assertEquals(1, c.find().first().getInteger("_id"));
      long took = millisSince(start);
      assertTrue(took >= 450, "held for the hole: " + took + " ms");
      assertFalse(proxy.blackholed());
      assertEquals(0, proxy.connectionsCut());
    }
  }

  @Test
  void aBlackholeThatCutsAtItsEndFailsTheOperation() {
    try (MongoClient client = client(proxy.uri(NO_RETRY))) {
      MongoCollection<Document> c = collection(client);
      c.insertOne(new Document("_id", 1));
      long start = System.nanoTime();
      proxy.blackhole(Duration.ofMillis(500), true);
      MongoSocketReadException cut =
          assertThrows(MongoSocketReadException.class, () -> c.find().first());
      System.out.println("[fault-proxy] an operation in a hole that cuts: " + cut);
      long took = millisSince(start);
      assertTrue(took >= 450, "held for the hole: " + took + " ms");
      assertTrue(proxy.connectionsCut() >= 1);
      assertEquals(1, c.find().first().getInteger("_id"));
    }
  }

  @Test
  void refusedConnectionsKeepANewClientOutUntilTheyEnd() {
    try (MongoClient before = client(proxy.uri(NO_RETRY))) {
      before.getDatabase("faultproxy").runCommand(PING);
      long start = System.nanoTime();
      proxy.refuseConnections(Duration.ofSeconds(3));
      assertTrue(proxy.connectionsCut() >= 1, "open connections closed at the start");
      try (MongoClient refused = client(proxy.uri(NO_RETRY + "&serverSelectionTimeoutMS=500"))) {
        MongoTimeoutException timeout =
            assertThrows(
                MongoTimeoutException.class,
                () -> refused.getDatabase("faultproxy").runCommand(PING));
        System.out.println("[fault-proxy] a client while refused: " + timeout);
      }
      assertTrue(proxy.connectionsRefused() >= 1);
      try (MongoClient after = client(proxy.uri(NO_RETRY + "&serverSelectionTimeoutMS=30000"))) {
        after.getDatabase("faultproxy").runCommand(PING);
      }
      long took = millisSince(start);
      assertTrue(took >= 2_900, "connected only after the refusal: " + took + " ms");
      assertFalse(proxy.refusing());
    }
  }

  @Test
  void aDelayHoldsEveryMessageInBothDirections() {
    try (MongoClient client = client(proxy.uri(NO_RETRY))) {
      client.getDatabase("faultproxy").runCommand(PING);
      proxy.delay(Duration.ofMillis(100));
      long start = System.nanoTime();
      client.getDatabase("faultproxy").runCommand(PING);
      long took = millisSince(start);
      assertTrue(took >= 190, "a request and its reply delayed by 100 ms each: " + took + " ms");
      proxy.delay(Duration.ZERO);
      client.getDatabase("faultproxy").runCommand(PING);
    }
  }

  @Test
  void closeStopsEveryThreadAndIsIdempotent() throws InterruptedException {
    String prefix = "fault-proxy-" + proxy.port() + "-";
    try (MongoClient client = client(proxy.uri(NO_RETRY + "&serverSelectionTimeoutMS=500"))) {
      client.getDatabase("faultproxy").runCommand(PING);
      proxy.blackhole(Duration.ofSeconds(30), true);
      assertTrue(proxyThreads(prefix) > 0);
      proxy.close();
      proxy.close();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (proxyThreads(prefix) > 0 && System.nanoTime() - deadline < 0) {
        Thread.sleep(20); // polls observable state, bounded
      }
      assertEquals(0, proxyThreads(prefix), "threads left: " + threadNames(prefix));
      assertEquals(0, proxy.openConnections());
      assertThrows(IllegalStateException.class, () -> proxy.cutAll());
    }
    try (MongoClient late = client(proxy.uri(NO_RETRY + "&serverSelectionTimeoutMS=500"))) {
      assertThrows(
          MongoTimeoutException.class, () -> late.getDatabase("faultproxy").runCommand(PING));
    }
  }

  private static long proxyThreads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
        .count();
  }

  private static List<String> threadNames(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(n -> n.startsWith(prefix))
        .toList();
  }

  @Test
  void faultsAreBoundedInTime() {
    Duration tooLong = FaultProxy.MAX_FAULT.plusSeconds(1);
    assertThrows(IllegalArgumentException.class, () -> proxy.blackhole(tooLong, false));
    assertThrows(IllegalArgumentException.class, () -> proxy.blackhole(Duration.ZERO, false));
    assertThrows(IllegalArgumentException.class, () -> proxy.refuseConnections(tooLong));
    assertThrows(IllegalArgumentException.class, () -> proxy.delay(tooLong));
    assertThrows(IllegalArgumentException.class, () -> proxy.delay(Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> proxy.dropNextReplies(-1));
    assertFalse(proxy.blackholed());
    assertFalse(proxy.refusing());
  }

  @Test
  void clearTurnsEveryFaultOff() {
    try (MongoClient client = client(proxy.uri(NO_RETRY))) {
      MongoCollection<Document> c = collection(client);
      c.insertOne(new Document("_id", 1));
      proxy.delay(Duration.ofSeconds(20));
      proxy.dropNextReplies(5);
      proxy.blackhole(Duration.ofSeconds(30), true);
      proxy.clear();
      assertFalse(proxy.blackholed());
      assertEquals(0, proxy.repliesToDrop());
      c.updateOne(Filters.eq("_id", 1), Updates.set("a", 1));
      assertEquals(0, proxy.connectionsCut());
    }
  }

  // --- the wire protocol and connection strings, without a server

  @Test
  void commandNameIsTheFirstKeyOfTheBodyWhereverItsSectionIs() {
    byte[] sequence = documentSequence("updates", new Document("q", new Document()));
    byte[] body = bytes(RawBsonDocument.parse("{update: 'c', ordered: true, $db: 'x'}"));
    byte[] withChecksum = opMsg(1, 2013, 1, sequence, section0(body), new byte[4]);
    assertEquals("update", FaultProxy.commandName(withChecksum));
    assertEquals(1, FaultProxy.requestId(withChecksum));
    assertFalse(FaultProxy.expectsNoReply(withChecksum));
    byte[] noReply = opMsg(2, 2013, 2, section0(body));
    assertEquals("update", FaultProxy.commandName(noReply));
    assertTrue(FaultProxy.expectsNoReply(noReply));
    assertNull(FaultProxy.commandName(opMsg(3, 2004, 0, section0(body))), "not OP_MSG");
    byte[] truncated = opMsg(4, 2013, 0, section0(body));
    ByteBuffer.wrap(truncated).order(ByteOrder.LITTLE_ENDIAN).putInt(21, 1000);
    assertNull(FaultProxy.commandName(truncated));
  }

  private static byte[] bytes(RawBsonDocument document) {
    ByteBuffer buffer = document.getByteBuffer().asNIO();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private static byte[] section0(byte[] document) {
    byte[] section = new byte[document.length + 1];
    System.arraycopy(document, 0, section, 1, document.length);
    return section;
  }

  private static byte[] documentSequence(String identifier, Document document) {
    byte[] doc = bytes(RawBsonDocument.parse(document.toJson()));
    byte[] id = (identifier + "\0").getBytes(StandardCharsets.UTF_8);
    ByteBuffer b =
        ByteBuffer.allocate(1 + 4 + id.length + doc.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 1).putInt(4 + id.length + doc.length).put(id).put(doc);
    return b.array();
  }

  private static byte[] opMsg(int requestId, int opCode, int flags, byte[]... parts) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      bytes.writeBytes(part);
    }
    byte[] payload = bytes.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(20 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(20 + payload.length)
        .putInt(requestId)
        .putInt(0)
        .putInt(opCode)
        .putInt(flags)
        .put(payload);
    return b.array();
  }

  @Test
  void aConnectionStringIsRewrittenToTheProxyAlone() {
    assertEquals(
        "mongodb://u:p%40w@127.0.0.1:1234/db?authSource=admin&appName=x&directConnection=true",
        FaultProxy.rewrite(
            "mongodb://u:p%40w@h1:27017/db?replicaSet=rs0&authSource=admin&appName=x"
                + "&directConnection=false",
            1234));
    assertEquals(
        "mongodb://127.0.0.1:1/?directConnection=true",
        FaultProxy.rewrite("mongodb://localhost", 1));
    assertThrows(
        IllegalArgumentException.class, () -> FaultProxy.inFrontOf("mongodb://a:1,b:2/?w=1"));
    assertThrows(
        IllegalArgumentException.class, () -> FaultProxy.inFrontOf("mongodb://a:1/?tls=true"));
    assertThrows(
        IllegalArgumentException.class, () -> FaultProxy.inFrontOf("mongodb+srv://a.example"));
  }
}
