package io.github.mongolock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import io.github.mongolock.testkit.FaultProxy;
import io.github.mongolock.testkit.MongoExtension;
import io.github.mongolock.testkit.TestMongo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A torture run with a checker: several child JVMs ({@link TortureChild}), each with several
 * threads taking a handful of locks in mixed modes with bounded waits, each process through its own
 * {@link FaultProxy}, while this parent injects random bounded faults into one proxy at a time and
 * now and then kills a child with {@code kill -9} and starts a new one in its place. Afterwards
 * {@link TortureLog} checks every critical section of every process: no write overlaps another hold
 * of its lock unless one of the two holders was told of a loss; every call ended in success or a
 * {@link MongoLockException}, within its bound plus a margin; then a fresh client takes every lock
 * within a lease time, and no lock document keeps a holder.
 *
 * <p>The short run (a few thousand sections) is part of the normal test run; the long one runs with
 * {@code mvn -B -pl core -am test -Ptorture} (the profile sets {@code torture.sections=100000}, any
 * count may be given with {@code -Dtorture.sections=N}). {@code -Dtorture.seed=N} repeats a run's
 * random choices (the processes' timing still differs). The processes' logs are kept under {@code
 * target/torture/}.
 *
 * <p>A killed child is replaced by a new process in the same slot (same fault proxy): the first
 * restart in the run with a new client ID, the next with the killed process's client ID (so that
 * the new process finds the dead one's entries on the lock documents, the seed's rule for a
 * restart), alternately.
 *
 * <p>The negative control runs the same processes with ONE client ID for all of them: the library
 * treats a lock document naming the caller's client ID as held by the caller, so every process is
 * let in at once, and the checker must report overlaps.
 */
@ExtendWith(MongoExtension.class)
class TortureTest {

  static final int PROCESSES = 3;
  static final int THREADS = 8;
  static final int LOCKS = 4;
  static final int WRITE_PERCENT = 30;
  static final Duration LEASE = Duration.ofMillis(2_000);
  static final Duration RENEW = Duration.ofMillis(500);
  static final Duration COMMAND_TIMEOUT = Duration.ofMillis(1_000);

  /** A call may take this much longer than its bound (a loaded 2-core machine, four JVMs). */
  static final long CALL_MARGIN_MS = 5_000;

  /** The fresh client's polling and eviction check, process start-up: on top of a lease time. */
  static final long RECOVERY_SLACK_MS = 3_000;

  static final int SHORT_SECTIONS = 3_000;

  /** The longest SIGSTOP of a process. */
  static final long MAX_PAUSE_MS = LEASE.toMillis() + 1_500;

  static String lockName(int index) {
    return TortureChild.lockName(index);
  }

  enum Fault {
    DELAY,
    CUT,
    BLACKHOLE,
    BLACKHOLE_THEN_CUT,
    REFUSE_CONNECTIONS,
    DROP_REPLIES,
    /** Not a network fault: the process is stopped (SIGSTOP) for longer than a lease time. */
    PAUSE
  }

  /** What a run does. */
  record Config(
      String name,
      long sections,
      boolean faults,
      int kills,
      boolean oneClientID,
      Duration longest,
      long seed) {}

  @Test
  void tortureWithFaultsAndKills(MongoDatabase db) throws Exception {
    long sections = Long.getLong("torture.sections", SHORT_SECTIONS);
    boolean isLong = sections > SHORT_SECTIONS;
    // one kill -9 every ~5,000 sections, at least 2
    int kills = (int) Math.max(2, Math.min(40, sections / 5_000));
    Duration longest = Duration.ofSeconds(Long.getLong("torture.maxSeconds", isLong ? 3_600 : 100));
    Config config =
        new Config(
            isLong ? "long" : "short",
            sections,
            true,
            kills,
            false,
            longest,
            Long.getLong("torture.seed", System.nanoTime()));
    Result r = new Run(db, config).execute();
    System.out.println(r.figures());

    assertEquals(List.of(), r.failures, "failures (not MongoLockException), hangs, bad exits");
    assertEquals(0, r.silentOverlaps(), "overlaps no holder was told of:\n" + r.silentSample());
    assertEquals(0, r.unfinished, "sections of live processes without an end");
    assertTrue(
        r.longestOvershootMicros(false) <= CALL_MARGIN_MS * 1_000,
        "a call ran past its bound by more than "
            + CALL_MARGIN_MS
            + " ms: "
            + r.longestCall(false));
    assertTrue(
        r.longestOvershootMicros(true) <= (CALL_MARGIN_MS + MAX_PAUSE_MS) * 1_000,
        "a call that a pause lengthened ran past its bound by more than the pause and "
            + CALL_MARGIN_MS
            + " ms: "
            + r.longestCall(true));
    assertEquals(r.killsDue, r.kills, "every kill -9 the progress called for happened");
    assertTrue(r.kills >= 1, "a kill -9 happened");
    assertTrue(r.faultCount() > 0, "faults were injected");
    // a slow machine may reach the time limit first: it must still have done a third
    assertTrue(
        r.sections() >= config.sections() / 3,
        "sections: " + r.sections() + " of " + config.sections());
    for (Map.Entry<String, Long> e : r.recoveryMillis.entrySet()) {
      assertTrue(
          e.getValue() >= 0 && e.getValue() <= LEASE.toMillis() + RECOVERY_SLACK_MS,
          "a fresh client takes " + e.getKey() + " within a lease time: " + r.recoveryMillis);
    }
    assertEquals(List.of(), r.leaks, "lock documents that keep a holder");
  }

  @Test
  void theCheckerCatchesABrokenLock(MongoDatabase db) throws Exception {
    Config config =
        new Config(
            "negative control (one client ID for every process)",
            1_500,
            false,
            0,
            true,
            Duration.ofSeconds(60),
            Long.getLong("torture.seed", System.nanoTime()));
    Result r = new Run(db, config).execute();
    System.out.println(r.figures());
    assertTrue(r.overlaps.size() > 0, "the checker missed a broken lock");
    assertTrue(r.silentOverlaps() > 0, "overlaps no holder was told of");
  }

  // ---------------------------------------------------------------------------------------------

  /** A child process in its slot. */
  static final class Child {
    final int slot;
    final int generation;
    final String name;
    final String clientID;
    final Process process;
    final Path log;
    final long startedAt = System.nanoTime();

    /** Set when killed: each lock's sequence number taken after the process had died. */
    volatile Map<String, Long> deathSeq;

    Child(int slot, int generation, String clientID, Process process, Path log) {
      this.slot = slot;
      this.generation = generation;
      this.name = "p" + slot + "g" + generation;
      this.clientID = clientID;
      this.process = process;
      this.log = log;
    }
  }

  /** The figures of one run. */
  static final class Result {
    Config config;
    long runMillis;
    long totalMillis;
    final Map<Fault, Integer> faults = new TreeMap<>();
    long repliesDropped;
    long connectionsCut;
    long connectionsRefused;
    int kills;

    /** Kills the run's progress called for (fewer than planned when it ran out of time). */
    int killsDue;

    int restartsNewID;
    int restartsSameID;
    int killedInside;
    final List<Long> takeoverMillis = new CopyOnWriteArrayList<>();
    int takeoversNotSeen;
    final List<String> failures = new ArrayList<>();
    List<TortureLog.Section> sections = List.of();
    List<TortureLog.Overlap> overlaps = List.of();
    final List<TortureLog.Call> calls = new ArrayList<>();
    int unfinished;
    long losses;
    int holdersAtStop;
    final Map<String, Long> recoveryMillis = new TreeMap<>();
    final List<String> leaks = new ArrayList<>();
    int documentsLeft;

    long sections() {
      return sections.size();
    }

    int faultCount() {
      return faults.values().stream().mapToInt(Integer::intValue).sum();
    }

    long silentOverlaps() {
      return overlaps.stream().filter(o -> !o.told()).count();
    }

    String silentSample() {
      StringBuilder b = new StringBuilder();
      overlaps.stream()
          .filter(o -> !o.told())
          .limit(10)
          .forEach(o -> b.append("  ").append(o).append('\n'));
      return b.toString();
    }

    /** The call that ran longest past its bound, among those a pause did or did not lengthen. */
    TortureLog.Call longestCall(boolean paused) {
      return calls.stream()
          .filter(c -> c.paused() == paused)
          .max((a, b) -> Long.compare(a.overshootMicros(), b.overshootMicros()))
          .orElse(null);
    }

    long longestOvershootMicros(boolean paused) {
      TortureLog.Call c = longestCall(paused);
      return c == null ? 0 : c.overshootMicros();
    }

    String figures() {
      long writes = sections.stream().filter(TortureLog.Section::write).count();
      long told = overlaps.stream().filter(TortureLog.Overlap::told).count();
      Map<String, Integer> acquireOutcomes = new TreeMap<>();
      Map<String, Integer> releaseOutcomes = new TreeMap<>();
      Map<String, TortureLog.Call> longestByName = new TreeMap<>();
      for (TortureLog.Call c : calls) {
        boolean release = c.name().endsWith("nlock");
        (release ? releaseOutcomes : acquireOutcomes).merge(c.outcome(), 1, Integer::sum);
        if (c.paused()) {
          continue;
        }
        longestByName.merge(
            c.name(), c, (a, b) -> a.overshootMicros() >= b.overshootMicros() ? a : b);
      }
      List<Long> takeovers = new ArrayList<>(takeoverMillis);
      Collections.sort(takeovers);
      StringBuilder b = new StringBuilder();
      b.append("[torture] ===== ").append(config.name()).append(" =====\n");
      b.append(
          String.format(
              "  setup: %d processes x %d threads, %d locks, %d%% writes, lease %d ms, renew %d"
                  + " ms, commandTimeout %d ms, waits 20..1500 ms, seed %d%n",
              PROCESSES,
              THREADS,
              LOCKS,
              WRITE_PERCENT,
              LEASE.toMillis(),
              RENEW.toMillis(),
              COMMAND_TIMEOUT.toMillis(),
              config.seed()));
      b.append(
          String.format(
              "  time: %.1f s of torture, %.1f s in all%n",
              runMillis / 1000.0, totalMillis / 1000.0));
      b.append(
          String.format(
              "  sections: %d (write %d, read %d); acquire calls %d%n",
              sections.size(), writes, sections.size() - writes, countAcquires()));
      b.append(
          String.format(
              "  faults: %d %s; proxies dropped %d replies, cut %d connections, refused %d%n",
              faultCount(), faults, repliesDropped, connectionsCut, connectionsRefused));
      b.append(
          String.format(
              "  kill -9: %d, restarts %d (%d with a new client ID, %d with the killed one's);"
                  + " sections in progress at a kill: %d%n",
              kills, restartsNewID + restartsSameID, restartsNewID, restartsSameID, killedInside));
      b.append(
          String.format(
              "  overlaps: %d (told %d, silent %d); lock-lost notices %d%n",
              overlaps.size(), told, overlaps.size() - told, losses));
      overlaps.stream()
          .filter(TortureLog.Overlap::told)
          .findFirst()
          .ifPresent(o -> b.append("    e.g. told: ").append(o).append('\n'));
      overlaps.stream()
          .filter(o -> !o.told())
          .findFirst()
          .ifPresent(o -> b.append("    e.g. silent: ").append(o).append('\n'));
      b.append(
          String.format(
              "  leaks: %d documents with holders right after the processes stopped, %d after a"
                  + " fresh client took every lock (documents left: %d)%n",
              holdersAtStop, leaks.size(), documentsLeft));
      b.append("  acquire outcomes: ").append(acquireOutcomes).append('\n');
      b.append("  release outcomes: ").append(releaseOutcomes).append('\n');
      b.append("  failures (not MongoLockException), hangs, bad exits: ")
          .append(failures.size())
          .append(failures.isEmpty() ? "" : " " + failures.subList(0, Math.min(5, failures.size())))
          .append('\n');
      b.append("  longest call against its bound: ")
          .append(describe(longestCall(false)))
          .append('\n');
      for (TortureLog.Call c : longestByName.values()) {
        b.append(
            String.format(
                "    %-8s longest past its bound: %s, %+.1f ms%n",
                c.name(), c, c.overshootMicros() / 1000.0));
      }
      b.append(
          String.format(
              "    calls a SIGSTOP lengthened: %d, the longest past its bound: %s%n",
              calls.stream().filter(TortureLog.Call::paused).count(), describe(longestCall(true))));
      b.append("  recovery: a fresh client took each lock in (ms) ")
          .append(recoveryMillis)
          .append('\n');
      b.append(
          String.format(
              "  takeover after kill -9 (until no lock document names the dead process): %d"
                  + " measured, median %s ms, max %s ms, all %s; not seen within the bound: %d%n",
              takeovers.size(),
              takeovers.isEmpty() ? "-" : takeovers.get(takeovers.size() / 2),
              takeovers.isEmpty() ? "-" : takeovers.get(takeovers.size() - 1),
              takeovers.size() <= 40 ? takeovers : "(" + takeovers.size() + ")",
              takeoversNotSeen));
      b.append("[torture] =====");
      return b.toString();
    }

    private static String describe(TortureLog.Call c) {
      return c == null ? "none" : c + String.format(", %+.1f ms", c.overshootMicros() / 1000.0);
    }

    private long countAcquires() {
      return calls.stream().filter(c -> !c.name().endsWith("nlock")).count();
    }
  }

  /** One run: the processes, the faults, the kills, the check. */
  static final class Run {
    private final MongoDatabase db;
    private final Config config;
    private final SplittableRandom random;
    private final String id;
    private final MongoCollection<Document> locks;
    private final MongoCollection<Document> sequences;
    private final Path logDir;
    private final FaultProxy[] proxies = new FaultProxy[PROCESSES];
    private final Child[] slots = new Child[PROCESSES];
    private final List<Child> all = new ArrayList<>();
    private final Result result = new Result();
    private final ExecutorService watchers = Executors.newCachedThreadPool();
    private final List<Future<?>> watching = new ArrayList<>();
    private final AtomicInteger generations = new AtomicInteger();

    Run(MongoDatabase db, Config config) throws IOException {
      this.db = db;
      this.config = config;
      this.random = new SplittableRandom(config.seed());
      this.id = Long.toString(System.currentTimeMillis(), 36);
      this.locks = db.getCollection("torture_locks_" + id);
      this.sequences = db.getCollection("torture_seq_" + id);
      this.logDir =
          Files.createDirectories(
              Path.of("target", "torture", id + (config.oneClientID() ? "-control" : "")));
      result.config = config;
    }

    Result execute() throws Exception {
      long begin = System.nanoTime();
      for (int l = 0; l < LOCKS; l++) {
        sequences.insertOne(new Document("_id", lockName(l)).append("n", 0L));
      }
      try {
        for (int slot = 0; slot < PROCESSES; slot++) {
          proxies[slot] = FaultProxy.inFrontOf(TestMongo.get());
          slots[slot] = start(slot, clientID(slot, 0));
        }
        long runStart = System.nanoTime();
        drive();
        result.runMillis = (System.nanoTime() - runStart) / 1_000_000;
        stopAll();
        for (Future<?> f : watching) {
          f.get(60, TimeUnit.SECONDS);
        }
        recover();
      } finally {
        for (Child c : all) {
          c.process.destroyForcibly();
        }
        watchers.shutdownNow();
        for (FaultProxy p : proxies) {
          if (p != null) {
            result.repliesDropped += p.repliesDropped();
            result.connectionsCut += p.connectionsCut();
            result.connectionsRefused += p.connectionsRefused();
            p.close();
          }
        }
      }
      check();
      result.totalMillis = (System.nanoTime() - begin) / 1_000_000;
      return result;
    }

    private String clientID(int slot, int generation) {
      return config.oneClientID() ? "shared" : "p" + slot + "g" + generation;
    }

    private Child start(int slot, String clientID) throws IOException {
      int generation = generations.getAndIncrement();
      Path log = logDir.resolve("p" + slot + "g" + generation + ".log");
      Path out = logDir.resolve("p" + slot + "g" + generation + ".out");
      Map<String, String> args = new LinkedHashMap<>();
      args.put("proxyUri", proxies[slot].uri("retryWrites=false&retryReads=false"));
      args.put("directUri", TestMongo.get().uri());
      args.put("db", db.getName());
      args.put("locks", locks.getNamespace().getCollectionName());
      args.put("sequences", sequences.getNamespace().getCollectionName());
      args.put("client", clientID);
      args.put("threads", String.valueOf(THREADS));
      args.put("lockCount", String.valueOf(LOCKS));
      args.put("writePercent", String.valueOf(WRITE_PERCENT));
      args.put("leaseMs", String.valueOf(LEASE.toMillis()));
      args.put("renewMs", String.valueOf(RENEW.toMillis()));
      args.put("commandMs", String.valueOf(COMMAND_TIMEOUT.toMillis()));
      args.put("seed", String.valueOf(config.seed() + generation));
      args.put("log", log.toAbsolutePath().toString());
      List<String> childArgs = new ArrayList<>();
      args.forEach((k, v) -> childArgs.add(k + "=" + v));
      Process process =
          ChildJvm.builder(List.of("-Xmx256m", "-XX:+UseSerialGC"), TortureChild.class, childArgs)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      Child child = new Child(slot, generation, clientID, process, log);
      all.add(child);
      return child;
    }

    /** Sections begun so far: each takes two sequence numbers. */
    private long sectionsBegun() {
      long n = 0;
      for (Document d : sequences.find()) {
        n += d.getLong("n");
      }
      return n / 2;
    }

    private void drive() throws Exception {
      long deadline = System.nanoTime() + config.longest().toNanos();
      long killEvery = config.sections() / (config.kills() + 1);
      long nextKill = killEvery;
      while (true) {
        long begun = sectionsBegun();
        if (begun >= config.sections() || System.nanoTime() > deadline) {
          return;
        }
        for (Child c : slots) {
          if (!c.process.isAlive()) {
            result.failures.add(
                c.name
                    + " exited by itself with "
                    + c.process.exitValue()
                    + " (see "
                    + c.log
                    + ")");
            slots[c.slot] = start(c.slot, c.clientID);
          }
        }
        result.killsDue = (int) Math.min(config.kills(), begun / Math.max(1, killEvery));
        if (result.kills < config.kills() && begun >= nextKill) {
          killAndRestart(random.nextInt(PROCESSES));
          nextKill += killEvery;
        }
        if (config.faults()) {
          injectOne();
        } else {
          pause(200);
        }
      }
    }

    /** The faults still to come in this round: every kind once per round, in a random order. */
    private final List<Fault> round = new ArrayList<>();

    /** One fault into one process's proxy (or process), for a bounded time; then a pause. */
    private void injectOne() throws Exception {
      int slot = random.nextInt(PROCESSES);
      FaultProxy proxy = proxies[slot];
      if (round.isEmpty()) {
        round.addAll(List.of(Fault.values()));
        for (int i = round.size() - 1; i > 0; i--) {
          Collections.swap(round, i, random.nextInt(i + 1));
        }
      }
      Fault fault = round.remove(round.size() - 1);
      result.faults.merge(fault, 1, Integer::sum);
      switch (fault) {
        case DELAY -> {
          proxy.delay(Duration.ofMillis(20 + random.nextInt(280)));
          pause(500 + random.nextInt(2_500));
        }
        case CUT -> proxy.cutAll();
        case BLACKHOLE, BLACKHOLE_THEN_CUT -> {
          // up to half again a lease time: long ones make holders lose their leases
          long ms = 200 + random.nextInt(2_800);
          proxy.blackhole(Duration.ofMillis(ms), fault == Fault.BLACKHOLE_THEN_CUT);
          pause(ms);
        }
        case REFUSE_CONNECTIONS -> {
          long ms = 200 + random.nextInt(1_800);
          proxy.refuseConnections(Duration.ofMillis(ms));
          pause(ms);
        }
        case DROP_REPLIES -> {
          proxy.dropNextReplies(1 + random.nextInt(3));
          pause(1_000);
        }
        case PAUSE ->
            pauseProcess(
                slots[slot], LEASE.toMillis() + 200 + random.nextInt((int) MAX_PAUSE_MS - 2_200));
      }
      proxy.clear();
      pause(100 + random.nextInt(900));
    }

    private void killAndRestart(int slot) throws Exception {
      Child victim = slots[slot];
      long killedAt = System.nanoTime();
      signal("-9", victim);
      assertTrue(victim.process.waitFor(30, TimeUnit.SECONDS), victim.name + " died");
      // each lock's sequence number now: every section of the dead process ended before it
      Map<String, Long> death = new TreeMap<>();
      for (int l = 0; l < LOCKS; l++) {
        death.put(lockName(l), next(lockName(l)));
      }
      victim.deathSeq = death;
      result.kills++;
      // the dead process's entries on the lock documents (no other process has its client ID yet)
      Set<String> deadSessions = new HashSet<>();
      for (Document doc : locks.find()) {
        for (Document h : doc.getList("holders", Document.class, List.of())) {
          if (victim.clientID.equals(h.getString("c"))) {
            deadSessions.add(h.getString("s"));
          }
        }
      }
      proxies[slot].clear();
      boolean sameID = result.kills % 2 == 0 && !config.oneClientID();
      String clientID = sameID ? victim.clientID : clientID(slot, generations.get());
      slots[slot] = start(slot, clientID);
      if (sameID) {
        result.restartsSameID++;
      } else {
        result.restartsNewID++;
      }
      if (!deadSessions.isEmpty()) {
        watching.add(watchers.submit(() -> watchTakeover(deadSessions, killedAt)));
      }
    }

    /**
     * Stops the process (SIGSTOP) for {@code millis}, longer than a lease time: its leases expire,
     * other processes may evict its holds, and when it goes on (SIGCONT) each holder must be told.
     * The marks in its log let the checker tell the calls that the pause lengthened.
     */
    private void pauseProcess(Child child, long millis) throws Exception {
      try (OutputStream log =
          Files.newOutputStream(child.log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        log.write("P stop\n".getBytes(StandardCharsets.UTF_8));
        signal("-STOP", child);
        pause(millis);
        // before SIGCONT: every line after it was written after the pause
        log.write("P cont\n".getBytes(StandardCharsets.UTF_8));
        signal("-CONT", child);
      }
    }

    private static void signal(String signal, Child child) throws Exception {
      Process kill =
          new ProcessBuilder("kill", signal, String.valueOf(child.process.pid()))
              .inheritIO()
              .start();
      assertEquals(0, kill.waitFor(), "kill " + signal + " ran");
    }

    /** Until no lock document names a session of the dead process: taken over or evicted. */
    private void watchTakeover(Set<String> deadSessions, long killedAt) {
      long bound = killedAt + LEASE.multipliedBy(5).plusSeconds(10).toNanos();
      while (System.nanoTime() < bound) {
        if (locks.find(Filters.in("holders.s", new ArrayList<>(deadSessions))).first() == null) {
          result.takeoverMillis.add((System.nanoTime() - killedAt) / 1_000_000);
          return;
        }
        pause(20);
      }
      synchronized (result) {
        result.takeoversNotSeen++;
      }
    }

    private long next(String lockID) {
      Document d =
          sequences.findOneAndUpdate(
              Filters.eq("_id", lockID),
              Updates.inc("n", 1L),
              new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
      return d.getLong("n");
    }

    private void stopAll() throws Exception {
      for (FaultProxy p : proxies) {
        p.clear();
      }
      for (Child c : slots) {
        try {
          OutputStream in = c.process.getOutputStream();
          in.write("stop\n".getBytes(StandardCharsets.UTF_8));
          in.flush();
        } catch (IOException e) {
          // it died: noticed below
        }
      }
      for (Child c : slots) {
        if (!c.process.waitFor(90, TimeUnit.SECONDS)) {
          result.failures.add(c.name + " did not stop within 90 s (see " + c.log + ")");
          c.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } else if (c.process.exitValue() != 0) {
          result.failures.add(
              c.name + " exited with " + c.process.exitValue() + " (see " + c.log + ")");
        }
      }
    }

    /**
     * A fresh client takes every lock, each in its own thread, timed from the moment every process
     * had stopped; then no lock document may keep a holder.
     */
    private void recover() throws Exception {
      for (Document doc : locks.find()) {
        if (holds(doc)) {
          result.holdersAtStop++;
        }
      }
      long stoppedAt = System.nanoTime();
      RWMutexOptions options =
          RWMutexOptions.builder()
              .leaseTime(LEASE)
              .renewInterval(RENEW)
              .commandTimeout(COMMAND_TIMEOUT)
              .build();
      try (LockRuntime runtime = LockRuntime.create();
          MongoClient fresh = TestMongo.get().newClient()) {
        MongoCollection<Document> c =
            fresh.getDatabase(db.getName()).getCollection(locks.getNamespace().getCollectionName());
        Map<String, Future<Long>> taken = new TreeMap<>();
        for (int l = 0; l < LOCKS; l++) {
          String lockID = lockName(l);
          taken.put(
              lockID,
              watchers.submit(
                  () -> {
                    RWMutex m = new RWMutex(runtime, c, lockID, "fresh-" + id, options);
                    if (!m.tryLock(LEASE.multipliedBy(5).plusSeconds(10))) {
                      return -1L;
                    }
                    long ms = (System.nanoTime() - stoppedAt) / 1_000_000;
                    m.unlock();
                    return ms;
                  }));
        }
        for (Map.Entry<String, Future<Long>> e : taken.entrySet()) {
          result.recoveryMillis.put(e.getKey(), e.getValue().get(60, TimeUnit.SECONDS));
        }
      }
      for (Document doc : locks.find()) {
        result.documentsLeft++;
        if (holds(doc)) {
          result.leaks.add(doc.toJson());
        }
      }
    }

    private static boolean holds(Document doc) {
      String writer = doc.getString("writer");
      List<String> readers = doc.getList("readers", String.class, List.of());
      return (writer != null && !writer.isEmpty()) || !readers.isEmpty();
    }

    private void check() throws IOException {
      List<TortureLog.Section> sections = new ArrayList<>();
      for (Child c : all) {
        if (!Files.exists(c.log)) {
          continue; // killed before it wrote anything
        }
        TortureLog.Process p =
            TortureLog.read(c.name, c.log, COMMAND_TIMEOUT.toMillis(), c.deathSeq);
        sections.addAll(p.sections);
        result.calls.addAll(p.calls);
        p.failures.forEach(f -> result.failures.add(c.name + ": " + f));
        p.hangs.forEach(h -> result.failures.add(c.name + ": hang: " + h));
        result.unfinished += p.unfinished;
        result.killedInside += p.killedInside;
        result.losses += p.losses;
      }
      result.sections = sections;
      result.overlaps = TortureLog.overlaps(new ArrayList<>(sections));
    }
  }

  static void pause(long millis) {
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
  }
}
