package io.github.mongolock.testkit;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MongoDBContainer;

/**
 * The MongoDB that tests, examples and benchmarks run against, chosen once per JVM in this order:
 *
 * <ol>
 *   <li>{@code MONGODB_URI} (environment variable or system property) when set;
 *   <li>Testcontainers' {@link MongoDBContainer} (a single-node replica set) when a Docker engine
 *       answers;
 *   <li>otherwise the in-process wire-protocol server {@code de.bwaldvogel:mongo-java-server} on a
 *       free loopback port, with its oplog enabled so that change streams work.
 * </ol>
 *
 * <p>The embedded server is not MongoDB. Differences that matter to a lock library: it accepts but
 * never applies TTL indexes and {@code $jsonSchema} validators, has no sessions or transactions (so
 * the driver turns retryable writes off), no pipeline updates, and no replication (write concern
 * {@code majority} is accepted, {@code w:2} is not checked). Tests that need any of those call
 * {@link #requireRealServer(String)}.
 */
public final class TestMongo {

  /** Which kind of server {@link #get()} chose. */
  public enum Kind {
    URI,
    TESTCONTAINERS,
    EMBEDDED
  }

  private static volatile TestMongo instance;

  private final Kind kind;
  private final String uri;
  private final String description;
  private final Runnable stop;

  private TestMongo(Kind kind, String uri, String description, Runnable stop) {
    this.kind = kind;
    this.uri = uri;
    this.description = description;
    this.stop = stop;
  }

  /**
   * Stops the server this JVM started (the embedded server's threads would otherwise keep a program
   * alive); nothing for {@code MONGODB_URI}. A later {@link #get()} starts a new one.
   */
  public static void shutdown() {
    synchronized (TestMongo.class) {
      if (instance != null) {
        instance.stop.run();
        instance = null;
      }
    }
  }

  /** The server for this JVM, started on first use and stopped when the JVM exits. */
  public static TestMongo get() {
    TestMongo current = instance;
    if (current == null) {
      synchronized (TestMongo.class) {
        current = instance;
        if (current == null) {
          current = start();
          instance = current;
          System.out.println("[mongo-lock] MongoDB for this JVM: " + current.description);
        }
      }
    }
    return current;
  }

  private static TestMongo start() {
    String configured = System.getProperty("MONGODB_URI", System.getenv("MONGODB_URI"));
    if (configured != null && !configured.isBlank()) {
      return new TestMongo(Kind.URI, configured, "MONGODB_URI " + redact(configured), () -> {});
    }
    if (!"true".equalsIgnoreCase(System.getenv("MONGO_LOCK_NO_DOCKER")) && dockerAnswers()) {
      MongoDBContainer container = new MongoDBContainer("mongo:8.0");
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
      return new TestMongo(
          Kind.TESTCONTAINERS,
          container.getReplicaSetUrl(),
          "Testcontainers mongo:8.0 at " + container.getReplicaSetUrl(),
          container::stop);
    }
    MemoryBackend backend = new MemoryBackend();
    backend.enableOplog();
    MongoServer server = new MongoServer(backend);
    server.bind("127.0.0.1", 0);
    InetSocketAddress address = server.getLocalAddress();
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
    String uri = "mongodb://127.0.0.1:" + address.getPort();
    return new TestMongo(
        Kind.EMBEDDED,
        uri,
        "embedded mongo-java-server (in-process) at " + uri,
        server::shutdownNow);
  }

  private static boolean dockerAnswers() {
    // Ask Testcontainers only when an engine could be there: it logs an error when none is.
    boolean socket = java.nio.file.Files.exists(java.nio.file.Path.of("/var/run/docker.sock"));
    String host = System.getenv("DOCKER_HOST");
    if (!socket && (host == null || host.isBlank())) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable notAvailable) {
      return false;
    }
  }

  private static String redact(String uri) {
    return uri.replaceAll("//[^@/]*@", "//***@");
  }

  public Kind kind() {
    return kind;
  }

  public boolean isEmbedded() {
    return kind == Kind.EMBEDDED;
  }

  /** Human-readable name of the server, for test and example output. */
  public String description() {
    return description;
  }

  public String uri() {
    return uri;
  }

  /** A new client to this server; the caller closes it. */
  public MongoClient newClient() {
    return newClient(null);
  }

  /** A new client to this server that reports every command to {@code listener} (may be null). */
  public MongoClient newClient(CommandListener listener) {
    MongoClientSettings.Builder settings =
        MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(uri))
            .applyToClusterSettings(c -> c.serverSelectionTimeout(10, TimeUnit.SECONDS));
    if (listener != null) {
      settings.addCommandListener(listener);
    }
    return MongoClients.create(settings.build());
  }
}
