package io.github.mongolock.benchmarks;

import com.mongodb.MongoCommandException;
import com.mongodb.event.CommandFailedEvent;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;

/**
 * Tallies the errors the server returns to a client, by command and code: command errors ({@code
 * ok: 0}, which the strict embedded server uses for what mongod refuses as a command) and {@code
 * writeErrors} of write commands (what it refuses per statement). Duplicate key (11000) is part of
 * the lock protocol (an upsert that meets a lock it does not match) and is tallied apart from the
 * rest. Sits on the harness's watched clients and on the second JVM's client, not on the clients of
 * the harness JVM that parts 2 to 4 time.
 */
final class ServerErrors implements CommandListener {

  static final int DUPLICATE_KEY = 11000;

  private final Map<String, LongAdder> byKey = new ConcurrentHashMap<>();
  private final LongAdder commands = new LongAdder();

  @Override
  public void commandStarted(CommandStartedEvent event) {
    commands.increment();
  }

  @Override
  public void commandSucceeded(CommandSucceededEvent event) {
    BsonDocument response = event.getResponse();
    if (response == null) {
      return;
    }
    BsonValue writeErrors = response.get("writeErrors");
    if (writeErrors instanceof BsonArray errors) {
      for (BsonValue error : errors) {
        BsonDocument e = error.asDocument();
        int code = e.getNumber("code", new org.bson.BsonInt32(-1)).intValue();
        add(event.getCommandName(), code, "writeError", e.getString("errmsg", null));
      }
    }
    if (response.get("writeConcernError") instanceof BsonDocument wce) {
      add(
          event.getCommandName(),
          wce.getNumber("code", new org.bson.BsonInt32(-1)).intValue(),
          "writeConcernError",
          wce.getString("errmsg", null));
    }
  }

  @Override
  public void commandFailed(CommandFailedEvent event) {
    Throwable t = event.getThrowable();
    if (t instanceof MongoCommandException e) {
      add(event.getCommandName(), e.getErrorCode(), "command error", e.getErrorMessage());
    } else {
      add(event.getCommandName(), -1, "no reply", String.valueOf(t));
    }
  }

  private void add(String command, int code, String kind, Object message) {
    String text = message == null ? "" : message.toString();
    if (text.length() > 160) {
      text = text.substring(0, 160) + "…";
    }
    String key =
        command
            + "\u0000"
            + code
            + "\u0000"
            + kind
            + "\u0000"
            + (code == DUPLICATE_KEY ? "" : text);
    byKey.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  long commands() {
    return commands.sum();
  }

  /** As a document, for the second JVM to send to the harness. */
  Document toDocument() {
    Document errors = new Document();
    byKey.forEach((k, v) -> errors.append(k, v.sum()));
    return new Document("commands", commands()).append("errors", errors);
  }

  /** Rows of {@code source, command, code, kind, count, message}, from a tally or its document. */
  static void rows(String source, Document tally, List<List<String>> rows) {
    Map<String, Long> sorted = new TreeMap<>();
    tally.get("errors", Document.class).forEach((k, v) -> sorted.put(k, ((Number) v).longValue()));
    sorted.forEach(
        (key, count) -> {
          String[] parts = key.split("\u0000", -1);
          rows.add(
              List.of(
                  source,
                  "`" + parts[0] + "`",
                  parts[1],
                  parts[2],
                  String.valueOf(count),
                  parts[3].isEmpty() ? "" : "`" + parts[3].replace("|", "\\|") + "`"));
        });
  }

  /** Errors other than duplicate key in a tally or its document. */
  static long unexpected(Document tally) {
    long n = 0;
    for (Map.Entry<String, Object> e : tally.get("errors", Document.class).entrySet()) {
      if (!e.getKey().split("\u0000", -1)[1].equals(String.valueOf(DUPLICATE_KEY))) {
        n += ((Number) e.getValue()).longValue();
      }
    }
    return n;
  }
}
