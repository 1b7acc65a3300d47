package io.github.mongolock.testkit.strict;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * mongo-java-server's {@link MemoryBackend} made strict: it refuses, with mongod's code, codeName,
 * message and reply shape, what a standalone mongod (4.4 to 8.x) refuses and the emulator would
 * accept. Hooks: {@link #handleCommand} sees every command (with OP_MSG document sequences already
 * merged in) before the emulator, and {@link StrictCollection} wraps the emulator's update paths
 * for the rules that need the stored documents.
 *
 * <p>Command errors are sent as mongod sends them, {@code {ok: 0, errmsg, code, codeName}} (the
 * emulator adds a legacy {@code $err}); writeErrors as {@code {index, code, errmsg}} (mongod's
 * serializeReply in src/mongo/db/commands/write_commands.cpp sends no codeName there), and an
 * ordered batch stops at its first writeError (the emulator ran every statement).
 */
public class StrictBackend extends MemoryBackend {

  /**
   * Code of the emulator-limit refusals: 238 NotImplemented. Not a mongod rule: mongod 4.2+ runs
   * pipeline updates; this server cannot.
   */
  public static final int EMULATOR_LIMIT_CODE = 238;

  static final String PIPELINE_UPDATE_MESSAGE =
      "pipeline updates (an update given as an array of stages) are not supported by this test"
          + " server, the strict embedded mongo-java-server of mongo-lock-testkit; mongod 4.2+"
          + " runs them: run this test against a real mongod (MONGODB_URI or Docker)";

  private static final Set<String> RULED =
      Set.of("update", "delete", "findandmodify", "find", "count", "distinct", "insert");

  private volatile UpsertWindow upsertWindow = UpsertWindow.fromSystemProperty();

  /** Starts a strict server with its oplog enabled (change streams) on a free loopback port. */
  public static MongoServer start() {
    StrictBackend backend = new StrictBackend();
    backend.enableOplog();
    return serve(backend);
  }

  /**
   * The lax emulator, for a test that shows a difference; nothing uses it by default. Bound like
   * {@link #start()}.
   */
  public static MongoServer startLax() {
    MemoryBackend backend = new MemoryBackend();
    backend.enableOplog();
    return serve(backend);
  }

  /** Serves {@code backend} on a free loopback port (the caller enables its oplog if wanted). */
  public static MongoServer serve(MemoryBackend backend) {
    MongoServer server = new MongoServer(backend);
    // Each connection is served by one event-loop thread, assigned round robin. An upsert window
    // blocks its thread; with many threads, concurrent connections do not share one.
    server.bind(new InetSocketAddress("127.0.0.1", 0), 1, 32);
    return server;
  }

  /** The connection string of a server from {@link #start()} or {@link #serve}. */
  public static String uri(MongoServer server) {
    return "mongodb://127.0.0.1:" + server.getLocalAddress().getPort();
  }

  /** Opens (or with null closes) the window between an upsert's match and its insert. */
  public void upsertWindow(UpsertWindow window) {
    this.upsertWindow = window;
  }

  UpsertWindow upsertWindow() {
    return upsertWindow;
  }

  @Override
  public MemoryDatabase openOrCreateDatabase(String databaseName) {
    return new StrictDatabase(databaseName, getCursorRegistry(), this);
  }

  @Override
  public Document handleCommand(
      Channel channel, String databaseName, String command, Document query) {
    try {
      return strict(channel, databaseName, command, query);
    } catch (MongoServerError e) {
      return commandError(e.getCode(), e.getCodeName(), e.getMessageWithoutErrorCode());
    }
  }

  private Document strict(Channel channel, String databaseName, String command, Document query) {
    String name = command.toLowerCase(Locale.ROOT);
    if (name.equals("createindexes")) {
      Refusal conflict = IndexRules.conflict(query, listIndexes(channel, databaseName, query));
      if (conflict != null) {
        return commandError(conflict);
      }
    }
    if (!RULED.contains(name)) {
      return super.handleCommand(channel, databaseName, command, query);
    }
    List<Refusal> refusals = MongodRules.check(BsonText.toBson(query), false);
    if (!refusals.isEmpty() && refusals.get(0).isCommandError()) {
      return commandError(refusals.get(0));
    }
    if (name.equals("findandmodify") && query.get("update") instanceof List) {
      return commandError(pipelineUpdate(-1));
    }
    return switch (name) {
      case "update" -> batch(channel, databaseName, command, query, "updates", refusals);
      case "delete" -> batch(channel, databaseName, command, query, "deletes", refusals);
      case "insert" -> insert(channel, databaseName, command, query);
      default -> super.handleCommand(channel, databaseName, command, query);
    };
  }

  /**
   * Runs an update or delete batch one statement at a time through the emulator, so that refused
   * statements become writeErrors and an ordered batch (the default) stops at the first one.
   */
  private Document batch(
      Channel channel,
      String databaseName,
      String command,
      Document query,
      String field,
      List<Refusal> refusals) {
    @SuppressWarnings("unchecked")
    List<Document> statements = (List<Document>) query.get(field);
    boolean ordered = !Boolean.FALSE.equals(query.get("ordered"));
    long n = 0;
    long nModified = 0;
    List<Document> upserted = new ArrayList<>();
    List<Document> writeErrors = new ArrayList<>();
    for (int i = 0; i < statements.size(); i++) {
      Document statement = statements.get(i);
      int index = i;
      Refusal refusal = refusals.stream().filter(r -> r.index() == index).findFirst().orElse(null);
      if (refusal == null && field.equals("updates") && statement.get("u") instanceof List) {
        refusal = pipelineUpdate(i);
      }
      if (refusal != null) {
        writeErrors.add(writeError(i, refusal.code(), refusal.message()));
      } else {
        Document single = new Document();
        query.forEach(
            (key, value) -> single.put(key, key.equals(field) ? List.of(statement) : value));
        Document reply;
        try {
          reply = super.handleCommand(channel, databaseName, command, single);
        } catch (MongoServerError e) {
          reply = new Document("n", 0);
          reply.put(
              "writeErrors", List.of(writeError(0, e.getCode(), e.getMessageWithoutErrorCode())));
        }
        n += ((Number) reply.getOrDefault("n", 0)).longValue();
        nModified += ((Number) reply.getOrDefault("nModified", 0)).longValue();
        for (Object u : (List<?>) reply.getOrDefault("upserted", List.of())) {
          upserted.add(new Document("index", i).append("_id", ((Document) u).get("_id")));
        }
        for (Object e : (List<?>) reply.getOrDefault("writeErrors", List.of())) {
          Document error = (Document) e;
          writeErrors.add(
              writeError(i, ((Number) error.get("code")).intValue(), (String) error.get("errmsg")));
        }
      }
      if (ordered && !writeErrors.isEmpty()) {
        break;
      }
    }
    Document response = new Document("n", (int) n);
    if (field.equals("updates")) {
      response.put("nModified", (int) nModified);
      if (!upserted.isEmpty()) {
        response.put("upserted", upserted);
      }
    }
    if (!writeErrors.isEmpty()) {
      response.put("writeErrors", writeErrors);
    }
    response.put("ok", 1.0);
    return response;
  }

  /**
   * Inserts larger than 16 MiB: 2 BadValue "object to insert too large. size in bytes: N, max size:
   * 16777216" (fixDocumentForInsert in src/mongo/db/ops/insert.cpp, 4.4 to 8.x). The driver refuses
   * such documents itself, so only a hand-built command gets here.
   */
  private Document insert(Channel channel, String databaseName, String command, Document query) {
    @SuppressWarnings("unchecked")
    List<Document> documents = (List<Document>) query.get("documents");
    for (int i = 0; documents != null && i < documents.size(); i++) {
      int size = BsonText.size(documents.get(i));
      if (size > StrictCollection.MAX_USER_SIZE) {
        List<Document> before = documents.subList(0, i);
        Document single = new Document();
        query.forEach((k, v) -> single.put(k, k.equals("documents") ? before : v));
        Document reply =
            i == 0
                ? new Document("n", 0)
                : super.handleCommand(channel, databaseName, command, single);
        List<Object> errors =
            new ArrayList<>((List<?>) reply.getOrDefault("writeErrors", List.of()));
        errors.add(
            writeError(
                i,
                2,
                "object to insert too large. size in bytes: "
                    + size
                    + ", max size: "
                    + StrictCollection.MAX_USER_SIZE));
        reply.put("writeErrors", errors);
        reply.put("ok", 1.0);
        return reply;
      }
    }
    return super.handleCommand(channel, databaseName, command, query);
  }

  private List<Document> listIndexes(Channel channel, String databaseName, Document query) {
    Document listIndexes = new Document("listIndexes", query.get("createIndexes"));
    Document reply = super.handleCommand(channel, databaseName, "listIndexes", listIndexes);
    @SuppressWarnings("unchecked")
    List<Document> indexes =
        (List<Document>) ((Document) reply.get("cursor")).getOrDefault("firstBatch", List.of());
    return indexes;
  }

  private static Refusal pipelineUpdate(int index) {
    return new Refusal(
        EMULATOR_LIMIT_CODE,
        "NotImplemented",
        PIPELINE_UPDATE_MESSAGE,
        index,
        "pipeline update (emulator limit)");
  }

  private static Document writeError(int index, int code, String message) {
    return new Document("index", index).append("code", code).append("errmsg", message);
  }

  private static Document commandError(Refusal refusal) {
    return commandError(refusal.code(), refusal.codeName(), refusal.message());
  }

  private static Document commandError(int code, String codeName, String message) {
    Document reply = new Document("ok", 0.0);
    reply.put("errmsg", message);
    reply.put("code", code);
    reply.put("codeName", Objects.requireNonNullElse(codeName, "Location" + code));
    return reply;
  }

  static boolean sameKey(Map<String, Object> a, Map<String, Object> b) {
    List<String> keysA = new ArrayList<>(a.keySet());
    if (!keysA.equals(new ArrayList<>(b.keySet()))) {
      return false;
    }
    for (String key : keysA) {
      Object x = a.get(key);
      Object y = b.get(key);
      boolean same =
          x instanceof Number p && y instanceof Number q
              ? Double.compare(p.doubleValue(), q.doubleValue()) == 0
              : Objects.equals(x, y);
      if (!same) {
        return false;
      }
    }
    return true;
  }
}
