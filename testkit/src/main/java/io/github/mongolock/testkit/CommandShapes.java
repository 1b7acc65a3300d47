package io.github.mongolock.testkit;

import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.github.mongolock.testkit.strict.MongodRules;
import io.github.mongolock.testkit.strict.Refusal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * A {@link CommandListener} that records the shape of every command a client sends (the command
 * name and collection, then the structure with field names and operators kept and values replaced
 * by their BSON type; booleans are kept) and checks each command against the mongod rules that can
 * be judged from the command alone ({@link MongodRules}, the same code the strict embedded server
 * refuses with). Works against any server, so a test on a real mongod can assert the same thing.
 *
 * <pre>{@code
 * CommandShapes shapes = new CommandShapes();
 * try (MongoClient client = TestMongo.get().newClient(shapes)) { ... }
 * shapes.assertNoViolations();
 * }</pre>
 *
 * An update or delete contributes one shape per statement, e.g. {@code update locks {q: {lockID:
 * string, $expr: {$lt: [string, string]}}, u: {$set: {writer: string}}, upsert: true}}.
 */
public final class CommandShapes implements CommandListener {

  /** Handshake, monitoring and cursor plumbing: not the library's doing, not recorded. */
  private static final Set<String> IGNORED_COMMANDS =
      Set.of(
          "hello",
          "ismaster",
          "isMaster",
          "ping",
          "buildInfo",
          "buildinfo",
          "getMore",
          "killCursors",
          "endSessions",
          "saslStart",
          "saslContinue");

  /** Fields every command may carry that say nothing of its shape. */
  private static final Set<String> IGNORED_FIELDS =
      Set.of(
          "$db",
          "lsid",
          "$clusterTime",
          "txnNumber",
          "$readPreference",
          "apiVersion",
          "apiStrict",
          "apiDeprecationErrors",
          "autocommit",
          "startTransaction",
          "maxTimeMS",
          "comment");

  private final boolean replicated;
  private final Set<String> shapes = new LinkedHashSet<>();
  private final List<String> violations = new ArrayList<>();

  /** Checks the rules every mongod deployment enforces. */
  public CommandShapes() {
    this(true);
  }

  private CommandShapes(boolean replicated) {
    this.replicated = replicated;
  }

  /** Also checks the rules of a standalone mongod (write concern w > 1 or a tag is refused). */
  public static CommandShapes forStandalone() {
    return new CommandShapes(false);
  }

  @Override
  public void commandStarted(CommandStartedEvent event) {
    // The event's document is only valid during this call: shape and check it now.
    BsonDocument command = event.getCommand();
    String name = event.getCommandName();
    if (IGNORED_COMMANDS.contains(name)) {
      return;
    }
    List<String> commandShapes = shapesOf(name, command);
    List<Refusal> refusals = MongodRules.check(command, replicated);
    synchronized (this) {
      shapes.addAll(commandShapes);
      for (Refusal refusal : refusals) {
        String shape =
            refusal.isCommandError() || refusal.index() >= commandShapes.size()
                ? String.join(" | ", commandShapes)
                : commandShapes.get(refusal.index());
        violations.add(shape + " -> " + refusal);
      }
    }
  }

  /** The distinct shapes seen so far, sorted. */
  public synchronized List<String> shapes() {
    return new ArrayList<>(new TreeSet<>(shapes));
  }

  /** One line per refusal a mongod would have given, in the order the commands were sent. */
  public synchronized List<String> violations() {
    return new ArrayList<>(violations);
  }

  /** Throws an {@link AssertionError} listing the violations, if there are any. */
  public void assertNoViolations() {
    List<String> found = violations();
    if (!found.isEmpty()) {
      throw new AssertionError(
          found.size()
              + " command(s) a mongod refuses:\n  "
              + String.join("\n  ", found)
              + "\nshapes sent:\n  "
              + String.join("\n  ", shapes()));
    }
  }

  public synchronized void clear() {
    shapes.clear();
    violations.clear();
  }

  static List<String> shapesOf(String name, BsonDocument command) {
    BsonValue target = command.get(name);
    String head =
        name + (target != null && target.isString() ? " " + target.asString().getValue() : "");
    String batch =
        switch (name) {
          case "update" -> "updates";
          case "delete" -> "deletes";
          case "insert" -> "documents";
          default -> null;
        };
    BsonDocument rest = new BsonDocument();
    for (Map.Entry<String, BsonValue> entry : command.entrySet()) {
      String key = entry.getKey();
      if (!key.equals(name) && !key.equals(batch) && !IGNORED_FIELDS.contains(key)) {
        rest.put(key, entry.getValue());
      }
    }
    String options = rest.isEmpty() ? "" : " " + shape(rest);
    List<String> result = new ArrayList<>();
    BsonValue statements = batch == null ? null : command.get(batch);
    if (statements != null && statements.isArray() && !statements.asArray().isEmpty()) {
      for (BsonValue statement : statements.asArray()) {
        result.add(head + " " + shape(statement) + options);
      }
    } else {
      result.add(head + options);
    }
    return result;
  }

  static String shape(BsonValue value) {
    if (value.isDocument()) {
      BsonDocument document = value.asDocument();
      if (document.isEmpty()) {
        return "{}";
      }
      StringJoiner joiner = new StringJoiner(", ", "{", "}");
      document.forEach((key, v) -> joiner.add(key + ": " + shape(v)));
      return joiner.toString();
    }
    if (value.isArray()) {
      BsonArray array = value.asArray();
      Set<String> elements = new LinkedHashSet<>();
      array.forEach(v -> elements.add(shape(v)));
      return "[" + String.join(", ", elements) + "]";
    }
    if (value.isBoolean()) {
      return String.valueOf(value.asBoolean().getValue());
    }
    return switch (value.getBsonType()) {
      case DOUBLE -> "double";
      case STRING -> "string";
      case BINARY -> "binData";
      case OBJECT_ID -> "objectId";
      case DATE_TIME -> "date";
      case NULL -> "null";
      case REGULAR_EXPRESSION -> "regex";
      case INT32 -> "int";
      case TIMESTAMP -> "timestamp";
      case INT64 -> "long";
      case DECIMAL128 -> "decimal";
      default -> value.getBsonType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
