package io.github.mongolock.testkit;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import de.bwaldvogel.mongo.MongoServer;
import io.github.mongolock.testkit.strict.StrictBackend;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.MongoDBContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The MongoDB that tests, examples and benchmarks run against, chosen once per JVM in this order:
 *
 * <ol>
 *   <li>{@code MONGODB_URI} (environment variable or system property) when set;
 *   <li>Testcontainers when a Docker engine answers: image {@code mongo.image} (system property, or
 *       environment variable {@code MONGO_IMAGE}; default {@code mongo:8.0}), topology {@code
 *       mongo.topology} / {@code MONGO_TOPOLOGY}: {@code replicaset} (default, a single-node
 *       replica set) or {@code standalone};
 *   <li>otherwise the strict embedded server ({@link StrictBackend}): the in-process wire-protocol
 *       server {@code de.bwaldvogel:mongo-java-server} on a free loopback port, with its oplog
 *       enabled so that change streams work, made to refuse (with mongod's codes and messages) what
 *       a standalone mongod refuses and the emulator alone would accept.
 * </ol>
 *
 * <p>The embedded server is still not MongoDB. Differences that matter to a lock library: it
 * accepts but never applies TTL indexes and {@code $jsonSchema} validators, has no sessions or
 * transactions (so the driver turns retryable writes off), refuses pipeline updates (an emulator
 * limit, named as such in its error), and serialises the writes of a collection, so concurrent
 * upserts of a missing document do not race unless {@link
 * io.github.mongolock.testkit.strict.UpsertWindow} opens a window. {@link CommandShapes} checks
 * what a test sent, on any server.
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
      return container(setting("mongo.image", "MONGO_IMAGE", "mongo:8.0"));
    }
    MongoServer server = StrictBackend.start();
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
    String uri = StrictBackend.uri(server);
    return new TestMongo(
        Kind.EMBEDDED,
        uri,
        "strict embedded mongo-java-server (in-process) at " + uri,
        server::shutdownNow);
  }

  private static TestMongo container(String image) {
    String topology = setting("mongo.topology", "MONGO_TOPOLOGY", "replicaset");
    if (topology.equalsIgnoreCase("standalone")) {
      // A plain mongod (the image's default command) on 27017: no replica set, so no change
      // streams or transactions, and write concern w > 1 is refused as on a standalone server.
      GenericContainer<?> container =
          new GenericContainer<>(image)
              .withExposedPorts(27017)
              .waitingFor(Wait.forLogMessage("(?i).*waiting for connections.*", 1));
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
      String uri = "mongodb://" + container.getHost() + ":" + container.getMappedPort(27017);
      return new TestMongo(
          Kind.TESTCONTAINERS,
          uri,
          "Testcontainers " + image + " standalone at " + uri,
          container::stop);
    }
    if (!topology.equalsIgnoreCase("replicaset")) {
      throw new IllegalArgumentException(
          "mongo.topology must be replicaset or standalone, not " + topology);
    }
    MongoDBContainer container = new MongoDBContainer(image);
    container.start();
    Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
    return new TestMongo(
        Kind.TESTCONTAINERS,
        container.getReplicaSetUrl(),
        "Testcontainers " + image + " replica set at " + container.getReplicaSetUrl(),
        container::stop);
  }

  /** A system property, else an environment variable (CI sets either), else the default. */
  private static String setting(String property, String environment, String fallback) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      value = System.getenv(environment);
    }
    return value == null || value.isBlank() ? fallback : value.trim();
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

  /** Whether this is the strict embedded server (the embedded kind is always strict). */
  public boolean isStrict() {
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
