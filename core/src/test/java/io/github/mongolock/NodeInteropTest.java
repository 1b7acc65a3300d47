package io.github.mongolock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.bson.Document;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Interoperability of the Java {@link RWMutex} with the npm package {@code mongo-lock-node@2.0.0}
 * on one shared lock collection. The Node side is {@code src/test/node/contender.js}, whose
 * dependencies are pinned by {@code src/test/node/package-lock.json} and installed with {@code npm
 * ci} when {@code node_modules} is missing.
 *
 * <p>Needs Node.js (and npm, for the first run) on the PATH: without them the tests FAIL with a
 * message saying so; they never skip. Override the executables with {@code -Dinterop.node=...} and
 * {@code -Dinterop.npm=...}.
 *
 * <p>Every wait is bounded (process timeouts, lock timeouts, {@link Timeout}) so a hang fails the
 * test instead of stalling the build.
 */
@ExtendWith(MongoExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NodeInteropTest {

  private static final String LOCKS = "interop_locks";
  private static final String PROBES = "interop_probe";

  private static final int NODE_PROCESSES = 2;
  private static final int JAVA_THREADS = 4;
  private static final int SECTIONS = 100;
  private static final Duration HOLD = Duration.ofMillis(2);
  private static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(45);
  private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(20);

  /** How long a blocked acquirer must stay blocked (Node polls every 5 ms: ~100 attempts). */
  private static final Duration STAYS_BLOCKED = Duration.ofMillis(500);

  private static final String[] NODE_MIXES = {"wrr", "rw"};
  private static final String[] JAVA_MIXES = {"rw", "wrr", "rrw", "wr"};

  private static Path nodeDir;
  private static String nodeExe;

  @BeforeAll
  static void requireNode() throws Exception {
    nodeDir = locateNodeDir();
    boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win");
    nodeExe = System.getProperty("interop.node", windows ? "node.exe" : "node");
    String npmExe = System.getProperty("interop.npm", windows ? "npm.cmd" : "npm");

    String version =
        runOrFail(
            List.of(nodeExe, "--version"),
            nodeDir,
            Duration.ofSeconds(30),
            "NodeInteropTest needs Node.js >= 16.20 on the PATH (or -Dinterop.node=<path>)");
    int major = Integer.parseInt(version.trim().replaceFirst("^v", "").split("\\.")[0]);
    assertTrue(
        major >= 16,
        "NodeInteropTest needs Node.js >= 16.20 (mongodb 6.x driver), found " + version.trim());

    if (!Files.isDirectory(nodeDir.resolve("node_modules/mongo-lock-node"))
        || !Files.isDirectory(nodeDir.resolve("node_modules/mongodb"))) {
      System.out.println("[interop] node_modules missing in " + nodeDir + ": running npm ci");
      runOrFail(
          List.of(npmExe, "ci", "--no-audit", "--no-fund", "--loglevel=error"),
          nodeDir,
          Duration.ofSeconds(240),
          "NodeInteropTest needs npm on the PATH to install "
              + nodeDir
              + "/package-lock.json"
              + " (or run `npm ci` there yourself)");
    }
    System.out.println("[interop] Node " + version.trim() + ", scripts in " + nodeDir);
  }

  // ------------------------------------------------------------------ contention across runtimes

  @Test
  void javaAndNodeContendOnOneLockWithoutOverlap(MongoDatabase db) throws Exception {
    String lockID = "interop-contend";
    Result r = contend(db, lockID, false, SECTIONS, HOLD, 2);

    for (Document n : r.node) {
      String who = "node " + n.getString("clientID");
      assertEquals(SECTIONS, n.getInteger("sections"), who + " finished all its sections");
      assertTrue(n.getInteger("writeSections") > 0, who + " held the lock in WRITE mode");
      assertTrue(n.getInteger("readSections") > 0, who + " held the lock in READ mode");
      assertEquals(0, n.getInteger("overlaps"), who + " saw overlapping critical sections");
    }
    for (OverlapProbe p : r.java) {
      assertEquals(SECTIONS, p.sections(), p.holder() + " finished all its sections");
      assertTrue(p.writeSections() > 0, p.holder() + " held the lock in WRITE mode");
      assertTrue(p.readSections() > 0, p.holder() + " held the lock in READ mode");
      assertEquals(0, p.overlaps(), p.holder() + " saw overlapping critical sections");
    }
    assertTrue(r.nodeHandoffs() > 0, "a Node section followed a Java section at least once");
    assertTrue(r.javaHandoffs() > 0, "a Java section followed a Node section at least once");
    assertTrue(
        r.nodeSharedReads() + r.javaSharedReads() > 0, "readers shared the lock at least once");

    Document probe = OverlapProbe.snapshot(db.getCollection(PROBES), lockID);
    assertEquals(
        0L, ((Number) probe.get("writers")).longValue(), "probe writers back to 0: " + probe);
    assertEquals(
        0L, ((Number) probe.get("readers")).longValue(), "probe readers back to 0: " + probe);
    assertEquals(
        0,
        db.getCollection(LOCKS).countDocuments(Filters.eq("lockID", lockID)),
        "the last holder's unlock deleted the lock document");
  }

  @Test
  void probeCatchesOverlapsWhenSectionsRunWithoutTheLock(MongoDatabase db) throws Exception {
    // Same contenders, no lock, 20 ms inside each section: overlaps are certain.
    Result r = contend(db, "interop-nolock", true, 15, Duration.ofMillis(20), 0);
    long nodeOverlaps = r.node.stream().mapToLong(d -> d.getInteger("overlaps")).sum();
    long javaOverlaps = r.java.stream().mapToLong(OverlapProbe::overlaps).sum();
    assertTrue(nodeOverlaps > 0, "the Node probe must catch overlaps without a lock");
    assertTrue(javaOverlaps > 0, "the Java probe must catch overlaps without a lock");
  }

  private record Result(List<Document> node, List<OverlapProbe> java) {
    long nodeHandoffs() {
      return node.stream().mapToLong(d -> d.getInteger("crossRuntimeHandoffs")).sum();
    }

    long javaHandoffs() {
      return java.stream().mapToLong(OverlapProbe::crossRuntimeHandoffs).sum();
    }

    long nodeSharedReads() {
      return node.stream().mapToLong(d -> d.getInteger("sharedReads")).sum();
    }

    long javaSharedReads() {
      return java.stream().mapToLong(OverlapProbe::sharedReads).sum();
    }
  }

  /**
   * Runs {@link #NODE_PROCESSES} Node processes and {@link #JAVA_THREADS} Java threads (each with
   * its own MongoClient and client ID) on one lock, all released at once, and prints the volumes.
   */
  private Result contend(
      MongoDatabase db, String lockID, boolean noLock, int sections, Duration hold, int maxPauseMs)
      throws Exception {
    TestMongo mongo = TestMongo.get();
    db.getCollection(LOCKS)
        .createIndex(Indexes.ascending("lockID"), new IndexOptions().unique(true));
    OverlapProbe.reset(db.getCollection(PROBES), lockID);

    List<NodeProc> nodes = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(JAVA_THREADS);
    CountDownLatch go = new CountDownLatch(1);
    long started = System.nanoTime();
    try {
      for (int i = 0; i < NODE_PROCESSES; i++) {
        List<String> args =
            new ArrayList<>(
                List.of(
                    mongo.uri(),
                    db.getName(),
                    LOCKS,
                    lockID,
                    "node-" + i,
                    NODE_MIXES[i % NODE_MIXES.length],
                    String.valueOf(sections),
                    "--probe=" + PROBES,
                    "--hold-ms=" + hold.toMillis(),
                    "--pause-ms=" + maxPauseMs,
                    "--sleep-ms=5",
                    "--wait-go"));
        if (noLock) {
          args.add("--no-lock");
        }
        nodes.add(NodeProc.start("node-" + i, args));
      }

      OverlapProbe[] javaProbes = new OverlapProbe[JAVA_THREADS];
      List<Future<?>> futures = new ArrayList<>();
      CountDownLatch javaReady = new CountDownLatch(JAVA_THREADS);
      for (int t = 0; t < JAVA_THREADS; t++) {
        int index = t;
        String clientID = "java-" + t;
        String mix = JAVA_MIXES[t % JAVA_MIXES.length];
        futures.add(
            pool.submit(
                () -> {
                  try (MongoClient client = mongo.newClient()) { // each contender its own client
                    MongoDatabase mine = client.getDatabase(db.getName());
                    OverlapProbe probe =
                        new OverlapProbe(mine.getCollection(PROBES), lockID, "java:" + clientID);
                    javaProbes[index] = probe;
                    RWMutex mutex =
                        new RWMutex(
                            mine.getCollection(LOCKS),
                            lockID,
                            clientID,
                            RWMutexOptions.builder().sleepTime(Duration.ofMillis(5)).build());
                    mine.runCommand(new Document("ping", 1));
                    javaReady.countDown();
                    if (!go.await(EVENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                      throw new TimeoutException("no go signal");
                    }
                    for (int i = 0; i < sections; i++) {
                      LockMode mode =
                          mix.charAt(i % mix.length()) == 'w' ? LockMode.WRITE : LockMode.READ;
                      if (noLock) {
                        probe.section(mode, hold);
                      } else {
                        try (LockHandle h =
                            mode == LockMode.WRITE
                                ? mutex.acquireWrite(ACQUIRE_TIMEOUT)
                                : mutex.acquireRead(ACQUIRE_TIMEOUT)) {
                          probe.section(mode, hold);
                        }
                      }
                      if (maxPauseMs > 0) {
                        Thread.sleep(ThreadLocalRandom.current().nextInt(maxPauseMs + 1));
                      }
                    }
                  }
                  return null;
                }));
      }

      for (NodeProc n : nodes) {
        n.await("ready", EVENT_TIMEOUT);
      }
      assertTrue(
          javaReady.await(EVENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "Java threads ready");
      long goAt = System.nanoTime();
      for (NodeProc n : nodes) {
        n.send("go");
      }
      go.countDown();

      long deadline = System.nanoTime() + PROCESS_TIMEOUT.toNanos();
      for (Future<?> f : futures) {
        try {
          f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          fail("a Java contender did not finish within " + PROCESS_TIMEOUT);
        }
      }
      List<OverlapProbe> probes = List.of(javaProbes);
      List<Document> nodeResults = new ArrayList<>();
      for (NodeProc n : nodes) {
        nodeResults.add(
            n.await("done", Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))));
        n.waitExit(Duration.ofSeconds(10));
      }
      long contendMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - goAt);

      Result r = new Result(nodeResults, probes);
      long nodeSections = nodeResults.stream().mapToLong(d -> d.getInteger("sections")).sum();
      long javaSections = probes.stream().mapToLong(OverlapProbe::sections).sum();
      long nodeOverlaps = nodeResults.stream().mapToLong(d -> d.getInteger("overlaps")).sum();
      long javaOverlaps = probes.stream().mapToLong(OverlapProbe::overlaps).sum();
      System.out.printf(
          Locale.ROOT,
          "[interop] %s lock=%s: %d Node processes x %d sections + %d Java threads x %d sections"
              + " = %d sections in %d ms (hold %d ms); overlaps node=%d java=%d;"
              + " shared reads node=%d java=%d; cross-runtime hand-offs node<-java=%d java<-node=%d%n",
          noLock ? "WITHOUT LOCK" : "with RWMutex",
          lockID,
          NODE_PROCESSES,
          sections,
          JAVA_THREADS,
          sections,
          nodeSections + javaSections,
          contendMs,
          hold.toMillis(),
          nodeOverlaps,
          javaOverlaps,
          r.nodeSharedReads(),
          r.javaSharedReads(),
          r.nodeHandoffs(),
          r.javaHandoffs());
      for (Document n : nodeResults) {
        System.out.println("[interop]   node " + n.toJson());
      }
      for (OverlapProbe p : probes) {
        System.out.println("[interop]   " + p);
      }
      System.out.printf(
          Locale.ROOT,
          "[interop] total elapsed including process start: %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      return r;
    } finally {
      go.countDown();
      pool.shutdownNow();
      for (NodeProc n : nodes) {
        n.close();
      }
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "Java contenders stopped");
    }
  }

  // ------------------------------------------------------------------ stored document
  // compatibility

  @Test
  void nodeWriterIsSeenByJavaAsHeld(MongoDatabase db) throws Exception {
    MongoCollection<Document> locks = locks(db);
    String lockID = "interop-node-writer";
    RWMutex java = new RWMutex(locks, lockID, "java-1");
    try (NodeProc node = NodeProc.start("node-w", holdArgs(db, lockID, "node-w", "w"))) {
      assertNull(node.await("connected", EVENT_TIMEOUT).get("doc"), "no lock document yet");
      Document held = node.await("held", EVENT_TIMEOUT);
      assertLockDoc(held.get("doc", Document.class), lockID, "node-w", List.of());
      assertLockDoc(rawLockDoc(locks, lockID), lockID, "node-w", List.of());

      assertFalse(java.tryLock(), "Java tryLock while a Node writer holds the lock");
      assertFalse(java.tryRLock(), "Java tryRLock while a Node writer holds the lock");
      assertFalse(java.tryLock(Duration.ofMillis(200)), "Java tryLock(200ms) while Node writes");
      assertLockDoc(rawLockDoc(locks, lockID), lockID, "node-w", List.of());

      node.send("release");
      assertNull(
          node.await("released", EVENT_TIMEOUT).get("doc"), "Node's unlock deleted the document");
      node.waitExit(Duration.ofSeconds(10));
    }
    assertTrue(java.tryLock(), "Java takes the lock once Node released it");
    assertLockDoc(rawLockDoc(locks, lockID), lockID, "java-1", List.of());
    java.unlock();
    assertNull(rawLockDoc(locks, lockID), "Java's unlock deleted the document");
  }

  @Test
  void javaReaderSharesWithNodeReader(MongoDatabase db) throws Exception {
    MongoCollection<Document> locks = locks(db);
    String lockID = "interop-shared-read";
    RWMutex javaReader = new RWMutex(locks, lockID, "java-r");
    RWMutex javaWriter = new RWMutex(locks, lockID, "java-w");
    try (NodeProc node = NodeProc.start("node-r", holdArgs(db, lockID, "node-r", "r"))) {
      node.await("connected", EVENT_TIMEOUT);
      assertLockDoc(
          node.await("held", EVENT_TIMEOUT).get("doc", Document.class),
          lockID,
          "",
          List.of("node-r"));

      assertTrue(javaReader.tryRLock(), "Java reader shares the lock with a Node reader");
      assertLockDoc(rawLockDoc(locks, lockID), lockID, "", List.of("node-r", "java-r"));
      assertFalse(javaWriter.tryLock(), "Java writer excluded while Node and Java read");
      javaReader.rUnlock();
      assertLockDoc(rawLockDoc(locks, lockID), lockID, "", List.of("node-r"));

      node.send("release");
      assertNull(
          node.await("released", EVENT_TIMEOUT).get("doc"), "Node's rUnlock deleted the document");
      node.waitExit(Duration.ofSeconds(10));
    }
    assertNull(rawLockDoc(locks, lockID));

    // the other way round: Java reads first, Node joins
    javaReader.rLock(ACQUIRE_TIMEOUT);
    assertLockDoc(rawLockDoc(locks, lockID), lockID, "", List.of("java-r"));
    try (NodeProc node = NodeProc.start("node-r2", holdArgs(db, lockID, "node-r2", "r"))) {
      assertLockDoc(
          node.await("connected", EVENT_TIMEOUT).get("doc", Document.class),
          lockID,
          "",
          List.of("java-r"));
      assertLockDoc(
          node.await("held", EVENT_TIMEOUT).get("doc", Document.class),
          lockID,
          "",
          List.of("java-r", "node-r2"));
      javaReader.rUnlock();
      node.send("release");
      assertNull(node.await("released", EVENT_TIMEOUT).get("doc"));
      node.waitExit(Duration.ofSeconds(10));
    }
  }

  @Test
  void javaWriterDocumentIsUnderstoodByNodeReader(MongoDatabase db) throws Exception {
    MongoCollection<Document> locks = locks(db);
    String lockID = "interop-java-writer";
    RWMutex java = new RWMutex(locks, lockID, "java-w");
    java.lock(ACQUIRE_TIMEOUT);
    assertLockDoc(rawLockDoc(locks, lockID), lockID, "java-w", List.of());
    try (NodeProc node = NodeProc.start("node-r", holdArgs(db, lockID, "node-r", "r"))) {
      Document seen = node.await("connected", EVENT_TIMEOUT).get("doc", Document.class);
      System.out.println("[interop] Node sees the Java writer's lock as " + seen.toJson());
      assertLockDoc(seen, lockID, "java-w", List.of());
      assertNull(node.poll(STAYS_BLOCKED), "Node rLock must wait while the Java writer holds");

      java.unlock();
      assertLockDoc(
          node.await("held", EVENT_TIMEOUT).get("doc", Document.class),
          lockID,
          "",
          List.of("node-r"));
      assertFalse(java.tryLock(), "Java tryLock while the Node reader holds");
      node.send("release");
      assertNull(node.await("released", EVENT_TIMEOUT).get("doc"));
      node.waitExit(Duration.ofSeconds(10));
    }
    assertNull(rawLockDoc(locks, lockID));
  }

  @Test
  void javaReaderBlocksNodeWriterAndNodeReaderBlocksJavaWriter(MongoDatabase db) throws Exception {
    MongoCollection<Document> locks = locks(db);
    String lockID = "interop-rw-cross";
    RWMutex java =
        new RWMutex(
            locks,
            lockID,
            "java-x",
            RWMutexOptions.builder().sleepTime(Duration.ofMillis(10)).build());

    // Java reads, Node's lock() waits
    java.rLock(ACQUIRE_TIMEOUT);
    try (NodeProc node = NodeProc.start("node-w", holdArgs(db, lockID, "node-w", "w"))) {
      assertLockDoc(
          node.await("connected", EVENT_TIMEOUT).get("doc", Document.class),
          lockID,
          "",
          List.of("java-x"));
      assertNull(node.poll(STAYS_BLOCKED), "Node lock must wait while the Java reader holds");
      java.rUnlock();
      assertLockDoc(
          node.await("held", EVENT_TIMEOUT).get("doc", Document.class),
          lockID,
          "node-w",
          List.of());
      node.send("release");
      assertNull(node.await("released", EVENT_TIMEOUT).get("doc"));
      node.waitExit(Duration.ofSeconds(10));
    }

    // Node reads, Java's lock() waits. The waiting Java writer puts its writer-preference mark
    // (an extra field) on the document; Node ignores it and its rUnlock must still hand over.
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (NodeProc node = NodeProc.start("node-r", holdArgs(db, lockID, "node-r", "r"))) {
      node.await("held", EVENT_TIMEOUT);
      Future<Long> javaWrite =
          pool.submit(
              () -> {
                long t0 = System.nanoTime();
                java.lock(ACQUIRE_TIMEOUT);
                return System.nanoTime() - t0;
              });
      Thread.sleep(STAYS_BLOCKED.toMillis());
      assertFalse(javaWrite.isDone(), "Java lock must wait while the Node reader holds");
      System.out.println(
          "[interop] lock document while a Java writer waits for a Node reader: "
              + rawLockDoc(locks, lockID).toJson());
      node.send("release");
      node.await("released", EVENT_TIMEOUT);
      long waitedNs = javaWrite.get(EVENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertTrue(waitedNs >= STAYS_BLOCKED.toNanos(), "Java writer waited for the Node reader");
      assertLockDoc(rawLockDoc(locks, lockID), lockID, "java-x", List.of());
      // Java locks are owned per thread: release on the thread that acquired
      pool.submit(java::unlock).get(EVENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      node.waitExit(Duration.ofSeconds(10));
    } finally {
      pool.shutdownNow();
    }
    assertNull(rawLockDoc(locks, lockID), "Java's unlock deleted the document");
  }

  // ------------------------------------------------------------------ helpers

  private static MongoCollection<Document> locks(MongoDatabase db) {
    MongoCollection<Document> locks = db.getCollection(LOCKS);
    locks.createIndex(Indexes.ascending("lockID"), new IndexOptions().unique(true));
    return locks;
  }

  private static List<String> holdArgs(
      MongoDatabase db, String lockID, String clientID, String mode) {
    return List.of(
        "hold", TestMongo.get().uri(), db.getName(), LOCKS, lockID, clientID, mode, "--sleep-ms=5");
  }

  private static Document rawLockDoc(MongoCollection<Document> locks, String lockID) {
    return locks.find(Filters.eq("lockID", lockID)).first();
  }

  /**
   * The document is mongo-lock-node's {@code {lockID, writer, readers}} (plus {@code _id}): no
   * {@code expiresAt} (none configured) and no other field except the Java holders' lease fields
   * ({@code holders}, {@code leases}, {@code fence}), which Node ignores. A lease entry names a
   * client that holds the lock; Node holders have none.
   */
  private static void assertLockDoc(
      Document doc, String lockID, String writer, List<String> readers) {
    assertNotNull(doc, "lock document " + lockID + " exists");
    Set<String> fields = new HashSet<>(doc.keySet());
    fields.remove("_id");
    fields.removeAll(Set.of("holders", "leases", "fence"));
    for (Document entry : doc.getList("holders", Document.class, List.of())) {
      String client = entry.getString("c");
      assertTrue(
          client.startsWith("java") && (client.equals(writer) || readers.contains(client)),
          "lease entry of a Java holder: " + doc.toJson());
    }
    assertEquals(Set.of("lockID", "writer", "readers"), fields, "fields of " + doc.toJson());
    assertEquals(lockID, doc.getString("lockID"), doc.toJson());
    assertEquals(writer, doc.getString("writer"), "writer of " + doc.toJson());
    List<String> stored = doc.getList("readers", String.class);
    assertNotNull(stored, "readers is an array: " + doc.toJson());
    assertEquals(new HashSet<>(readers), new HashSet<>(stored), "readers of " + doc.toJson());
    assertEquals(readers.size(), stored.size(), "no duplicate readers: " + doc.toJson());
  }

  private static Path locateNodeDir() {
    Path base = Path.of(System.getProperty("user.dir"));
    for (Path candidate :
        List.of(base.resolve("src/test/node"), base.resolve("core/src/test/node"))) {
      if (Files.isRegularFile(candidate.resolve("contender.js"))) {
        return candidate.toAbsolutePath();
      }
    }
    return fail("cannot find src/test/node/contender.js from " + base);
  }

  /** Runs a command to completion within {@code timeout}; fails with {@code hint} if it cannot. */
  private static String runOrFail(List<String> command, Path dir, Duration timeout, String hint)
      throws InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      return fail(hint + ": cannot run `" + String.join(" ", command) + "`: " + e.getMessage(), e);
    }
    StringBuilder out = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try (InputStream in = p.getInputStream()) {
                out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException ignored) {
                // process killed
              }
            },
            "interop-run-output");
    reader.start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      fail(hint + ": `" + String.join(" ", command) + "` did not finish within " + timeout);
    }
    reader.join(5000);
    if (p.exitValue() != 0) {
      fail(hint + ": `" + String.join(" ", command) + "` exited " + p.exitValue() + ":\n" + out);
    }
    return out.toString();
  }

  /** A running {@code contender.js}: JSON event lines from stdout, commands to stdin. */
  static final class NodeProc implements AutoCloseable {
    private static final Document EOF = new Document("event", "__eof");

    private final String name;
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<Document> events = new LinkedBlockingQueue<>();
    private final StringBuffer output = new StringBuffer();

    private NodeProc(String name, Process process) {
      this.name = name;
      this.process = process;
      this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread out = new Thread(this::readStdout, "interop-" + name + "-stdout");
      out.setDaemon(true);
      out.start();
      Thread err = new Thread(this::readStderr, "interop-" + name + "-stderr");
      err.setDaemon(true);
      err.start();
    }

    static NodeProc start(String name, List<String> args) {
      List<String> command = new ArrayList<>();
      command.add(nodeExe);
      command.add(nodeDir.resolve("contender.js").toString());
      command.addAll(args);
      try {
        return new NodeProc(name, new ProcessBuilder(command).directory(nodeDir.toFile()).start());
      } catch (IOException e) {
        return fail("cannot start Node (" + String.join(" ", command) + "): " + e.getMessage(), e);
      }
    }

    private void readStdout() {
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.append(line).append('\n');
          if (line.startsWith("{")) {
            try {
              events.add(Document.parse(line));
            } catch (RuntimeException notJson) {
              // keep it in the output only
            }
          }
        }
      } catch (IOException ignored) {
        // process killed
      } finally {
        events.add(EOF);
      }
    }

    private void readStderr() {
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.append("[stderr] ").append(line).append('\n');
        }
      } catch (IOException ignored) {
        // process killed
      }
    }

    /** The next event, or null if none arrives within {@code timeout}; fails on error or exit. */
    Document poll(Duration timeout) throws InterruptedException {
      Document d = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (d == EOF) {
        events.add(EOF);
        fail(name + " exited early:\n" + output);
      }
      if (d != null && "error".equals(d.getString("event"))) {
        fail(name + " failed: " + d.getString("message") + "\n" + output);
      }
      return d;
    }

    /** Waits for the event named {@code event}, skipping others; fails after {@code timeout}. */
    Document await(String event, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (; ; ) {
        long left = deadline - System.nanoTime();
        Document d = left <= 0 ? null : poll(Duration.ofNanos(left));
        if (d == null) {
          fail(
              name
                  + ": no \""
                  + event
                  + "\" event within "
                  + timeout
                  + "; output so far:\n"
                  + output);
        }
        if (event.equals(d.getString("event"))) {
          return d;
        }
      }
    }

    void send(String line) throws IOException {
      stdin.write(line + "\n");
      stdin.flush();
    }

    void waitExit(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        fail(name + " did not exit within " + timeout + ":\n" + output);
      }
      assertEquals(0, process.exitValue(), name + " exit code; output:\n" + output);
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}
