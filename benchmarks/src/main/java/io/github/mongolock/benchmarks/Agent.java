package io.github.mongolock.benchmarks;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

/**
 * Another process that runs a lock library on the harness's behalf: the seed under Node ({@code
 * node/agent.js}) or this library in a second JVM ({@link JavaAgentMain}). Both speak the same
 * protocol: one JSON request per line on stdin, one JSON reply per line on stdout.
 */
final class Agent implements AutoCloseable {

  private static final String EOF = "\u0000eof";

  private final String name;
  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Deque<String> stderrTail = new ArrayDeque<>();

  private Agent(String name, Process process) {
    this.name = name;
    this.process = process;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    pump(process.getInputStream(), line -> lines.add(line), () -> lines.add(EOF));
    pump(process.getErrorStream(), this::keepStderr, () -> {});
  }

  static Agent start(String name, List<String> command, File directory) throws IOException {
    Process process = new ProcessBuilder(command).directory(directory).start();
    return new Agent(name, process);
  }

  String name() {
    return name;
  }

  /** Sends one request and returns its reply; a reply with an {@code error} field throws. */
  Document call(Document request) {
    send(request);
    return next(Math.max(60_000, request.getInteger("ms", 0) + 60_000));
  }

  void send(Document request) {
    try {
      stdin.write(request.toJson() + "\n");
      stdin.flush();
    } catch (IOException e) {
      throw new IllegalStateException(name + " is gone: " + stderrTail(), e);
    }
  }

  /** The next line the agent writes, parsed. */
  Document next(long timeoutMs) {
    String line;
    try {
      line = lines.poll(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + name, e);
    }
    if (line == null) {
      throw new IllegalStateException(name + " did not answer within " + timeoutMs + " ms");
    }
    if (line == EOF) { // identity on purpose: only the pump adds this instance
      throw new IllegalStateException(name + " exited: " + stderrTail());
    }
    Document reply = Document.parse(line);
    if (reply.containsKey("error")) {
      throw new IllegalStateException(name + ": " + reply.get("error"));
    }
    return reply;
  }

  static long longOf(Document reply, String key) {
    Object value = reply.get(key);
    if (value instanceof Number n) {
      return n.longValue();
    }
    return Long.parseLong(String.valueOf(value));
  }

  /**
   * Checks that the agent's clock is the harness's {@link System#nanoTime()} clock: its reading
   * must fall inside the round trip. Hand-off latency across processes subtracts the two.
   */
  void checkSharedClock() {
    for (int attempt = 0; attempt < 5; attempt++) {
      long before = System.nanoTime();
      long theirs = longOf(call(new Document("op", "clock")), "t");
      long after = System.nanoTime();
      if (theirs >= before && theirs <= after) {
        return;
      }
    }
    throw new IllegalStateException(
        name
            + "'s monotonic clock is not System.nanoTime()'s: cross-process latency is"
            + " unmeasurable");
  }

  private synchronized void keepStderr(String line) {
    stderrTail.addLast(line);
    while (stderrTail.size() > 20) {
      stderrTail.removeFirst();
    }
  }

  private synchronized String stderrTail() {
    return String.join("\n", stderrTail);
  }

  private void pump(
      java.io.InputStream stream, java.util.function.Consumer<String> sink, Runnable atEnd) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  sink.accept(line);
                }
              } catch (IOException ignored) {
                // the process ended
              } finally {
                atEnd.run();
              }
            },
            name + "-pipe");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() {
    try {
      send(new Document("op", "exit"));
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (RuntimeException | InterruptedException e) {
      process.destroyForcibly();
    }
  }
}
