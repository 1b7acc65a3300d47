package io.github.mongolock.benchmarks;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import io.github.mongolock.RWMutex;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.Document;

/**
 * The second process of the hand-off benchmark: this library in its own JVM, driven by the harness
 * over stdin/stdout with the protocol of {@code node/agent.js}. Started with the harness's class
 * path.
 */
public final class JavaAgentMain {

  private static final Map<String, RWMutex> HELD = new ConcurrentHashMap<>();

  /**
   * Per waiting lock: completed by "unlockWaiter"; the waiter thread then unlocks (ownership is per
   * thread).
   */
  private static final Map<String, CompletableFuture<CompletableFuture<Void>>> WAITING =
      new ConcurrentHashMap<>();

  /** The server errors this JVM's client got, for the harness's protocol check. */
  private static final ServerErrors ERRORS = new ServerErrors();

  private static MongoClient client;
  private static MongoCollection<Document> collection;

  private JavaAgentMain() {}

  public static void main(String[] args) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      Document request = Document.parse(line);
      Document reply;
      try {
        reply = handle(request);
      } catch (RuntimeException e) {
        reply = new Document("error", request.getString("op") + ": " + e);
      }
      send(reply);
      if ("exit".equals(request.getString("op"))) {
        break;
      }
    }
    if (client != null) {
      client.close();
    }
    System.exit(0);
  }

  private static synchronized void send(Document reply) {
    System.out.println(reply.toJson());
    System.out.flush();
  }

  private static Document handle(Document request) {
    String lockID = request.getString("lock");
    switch (request.getString("op")) {
      case "init" -> {
        client =
            MongoClients.create(
                MongoClientSettings.builder()
                    .applyConnectionString(new ConnectionString(request.getString("uri")))
                    .addCommandListener(ERRORS)
                    .build());
        collection =
            client.getDatabase(request.getString("db")).getCollection(request.getString("coll"));
        return new Document("java", Runtime.version().toString());
      }
      case "clock" -> {
        return new Document("t", String.valueOf(System.nanoTime()));
      }
      case "hold" -> {
        RWMutex mutex = new RWMutex(collection, lockID, request.getString("client"));
        mutex.lock();
        HELD.put(lockID, mutex);
        return new Document("ok", 1);
      }
      case "release" -> {
        HELD.remove(lockID).unlock();
        return new Document("t", String.valueOf(System.nanoTime()));
      }
      case "wait" -> {
        RWMutex mutex = new RWMutex(collection, lockID, request.getString("client"));
        CompletableFuture<CompletableFuture<Void>> release = new CompletableFuture<>();
        WAITING.put(lockID, release);
        Thread waiter =
            new Thread(
                () -> {
                  try {
                    mutex.lock();
                    send(new Document("acquired", String.valueOf(System.nanoTime())));
                  } catch (RuntimeException e) {
                    send(new Document("error", "wait: " + e));
                    return;
                  }
                  CompletableFuture<Void> released = release.join();
                  try {
                    mutex.unlock();
                    released.complete(null);
                  } catch (RuntimeException e) {
                    released.completeExceptionally(e);
                  }
                },
                "waiter-" + lockID);
        waiter.start();
        return new Document("waiting", 1);
      }
      case "contended" -> {
        Workloads.Throughput t =
            Workloads.measure(
                request.getInteger("workers"),
                Workloads.contended(collection, lockID, "agent-w", request.getInteger("readPct")),
                request.getInteger("ms"));
        return new Document("ops", t.totalOps())
            .append("ns", String.valueOf((long) (t.seconds() * 1e9)))
            .append("minWorker", t.minThreadOps());
      }
      case "unlockWaiter" -> {
        CompletableFuture<Void> released = new CompletableFuture<>();
        WAITING.remove(lockID).complete(released);
        released.join();
        return new Document("ok", 1);
      }
      case "errors" -> {
        return ERRORS.toDocument();
      }
      case "exit" -> {
        return new Document("ok", 1);
      }
      default -> throw new IllegalArgumentException("unknown op");
    }
  }
}
