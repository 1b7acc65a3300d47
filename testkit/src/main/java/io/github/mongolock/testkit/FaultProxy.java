package io.github.mongolock.testkit;

import com.mongodb.ConnectionString;
import com.mongodb.ServerAddress;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.RawBsonDocument;

/**
 * A TCP proxy in front of one MongoDB server, listening on 127.0.0.1 on a free port, that forwards
 * the wire protocol's messages both ways and injects network faults that a test switches on and off
 * while clients are connected: delays, cut connections, a silent black hole, refused connections,
 * and replies lost after the server executed a command.
 *
 * <p>Faults act on whole messages: every MongoDB wire message starts with its total length
 * (little-endian int32), then requestID, responseTo and opCode, and the proxy reads each message
 * whole before forwarding it. A test gives the driver {@link #uri()}, a direct connection to the
 * proxy, so that the driver does not discover (and bypass the proxy to reach) the hosts the server
 * reports. The proxy reads plain wire messages: TLS must be off, and with wire compression on (both
 * are off by default) {@link #dropNextReplies(int)} cannot see command names and drops nothing.
 *
 * <p>Every fault is bounded: a black hole and a refusal period end by themselves after at most
 * {@link #MAX_FAULT}, a delay holds each message at most that long, and dropped replies are
 * counted. {@link #clear()} turns every fault off, {@link #close()} closes every connection and the
 * listener and stops the proxy's threads (daemon threads named {@code fault-proxy-PORT-...}).
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.inFrontOf(TestMongo.get());
 *     MongoClient client = MongoClients.create(proxy.uri("retryWrites=false"))) {
 *   proxy.dropNextReplies(1); // the next command's reply is lost, its connection closed
 *   assertThrows(MongoSocketReadException.class, () -> collection.updateOne(filter, inc));
 * }
 * }</pre>
 */
public final class FaultProxy implements AutoCloseable {

  /** The longest black hole, refusal period or delay a proxy accepts. */
  public static final Duration MAX_FAULT = Duration.ofSeconds(60);

  /**
   * Commands whose replies {@link #dropNextReplies(int)} never counts (lower case): the driver's
   * monitoring, handshake, authentication and clean-up traffic.
   */
  static final Set<String> UNCOUNTED =
      Set.of(
          "hello",
          "ismaster",
          "ping",
          "buildinfo",
          "saslstart",
          "saslcontinue",
          "endsessions",
          "killcursors");

  private static final int OP_MSG = 2013;
  private static final int CHECKSUM_PRESENT = 1;
  private static final int MORE_TO_COME = 2;
  private static final int HEADER = 16;

  /** Larger than any message a server accepts (48 MB): a longer length is not the wire protocol. */
  private static final int MAX_MESSAGE = 64 * 1024 * 1024;

  private static final int UPSTREAM_CONNECT_TIMEOUT_MS = 5_000;
  private static final long CLOSE_WAIT_MS = 5_000;

  private final InetSocketAddress target;
  private final ServerSocket listener;
  private final String uri;
  private final String threadPrefix;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final ScheduledThreadPoolExecutor timer;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger connectionIds = new AtomicInteger();
  private final AtomicLong repliesDropped = new AtomicLong();
  private final AtomicLong connectionsCut = new AtomicLong();
  private final AtomicLong connectionsRefused = new AtomicLong();

  /** Guards the start and end of black holes and refusal periods. */
  private final Object faults = new Object();

  private volatile long delayNanos;
  private volatile Hole hole;
  private volatile Refusal refusal;
  private volatile DropRule drop;

  private FaultProxy(InetSocketAddress target, String original) throws IOException {
    this.target = target;
    this.listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    int port = listener.getLocalPort();
    this.uri = original == null ? plainUri(port) : rewrite(original, port);
    this.threadPrefix = "fault-proxy-" + port + "-";
    this.timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, threadPrefix + "timer");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    spawn("accept", this::acceptLoop);
  }

  /** A proxy in front of {@code targetHost:targetPort}; {@link #uri()} connects to it. */
  public static FaultProxy start(String targetHost, int targetPort) {
    if (targetPort <= 0 || targetPort > 65535) {
      throw new IllegalArgumentException("not a port: " + targetPort);
    }
    return open(new InetSocketAddress(targetHost, targetPort), null);
  }

  /**
   * A proxy in front of the single host of {@code connectionString}; {@link #uri()} is that string
   * with the host replaced by the proxy's and {@code directConnection=true} (its credentials,
   * database and other options kept; {@code replicaSet} and {@code loadBalanced} dropped).
   *
   * @throws IllegalArgumentException for a {@code mongodb+srv} string, several hosts, or TLS
   */
  public static FaultProxy inFrontOf(String connectionString) {
    if (connectionString.startsWith("mongodb+srv:")) {
      throw new IllegalArgumentException("a proxy stands for one host; mongodb+srv names many");
    }
    ConnectionString parsed = new ConnectionString(connectionString);
    if (parsed.getHosts().size() != 1) {
      throw new IllegalArgumentException(
          "a proxy stands for one host, not " + parsed.getHosts() + ": give it one of them");
    }
    if (Boolean.TRUE.equals(parsed.getSslEnabled())) {
      throw new IllegalArgumentException("the proxy reads plain wire messages: TLS must be off");
    }
    ServerAddress host = new ServerAddress(parsed.getHosts().get(0));
    return open(new InetSocketAddress(host.getHost(), host.getPort()), connectionString);
  }

  /** A proxy in front of the JVM's test server ({@link TestMongo#uri()}). */
  public static FaultProxy inFrontOf(TestMongo mongo) {
    return inFrontOf(mongo.uri());
  }

  private static FaultProxy open(InetSocketAddress target, String original) {
    try {
      return new FaultProxy(target, original);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1", e);
    }
  }

  /**
   * The connection string a test gives the driver: {@code
   * mongodb://127.0.0.1:PORT/?directConnection=true} (plus what {@link #inFrontOf(String)} kept).
   * {@code directConnection=true} makes the driver talk to this one address only and ignore the
   * hosts a replica set member lists in its hello reply.
   */
  public String uri() {
    return uri;
  }

  /**
   * {@link #uri()} with more options, {@code "a=1&b=2"} (for example {@code
   * retryWrites=false&retryReads=false&serverSelectionTimeoutMS=500}).
   */
  public String uri(String options) {
    return options == null || options.isEmpty() ? uri : uri + "&" + options;
  }

  /** The proxy's port on 127.0.0.1. */
  public int port() {
    return listener.getLocalPort();
  }

  /** The server the proxy forwards to. */
  public InetSocketAddress target() {
    return target;
  }

  /**
   * Delays every message in both directions by {@code delay} from the moment the proxy has read it
   * (a round trip then takes at least twice as long); zero turns the delay off for messages read
   * from then on.
   *
   * @throws IllegalArgumentException if negative or longer than {@link #MAX_FAULT}
   */
  public void delay(Duration delay) {
    checkOpen();
    delayNanos = bounded(delay, true, "delay");
  }

  /**
   * Closes every open connection at once, counted in {@link #connectionsCut()}; clients see a
   * socket error (end of stream or reset), and new connections are accepted as before.
   *
   * @return how many connections were closed
   */
  public int cutAll() {
    checkOpen();
    return cutEvery();
  }

  /**
   * For {@code duration}, holds back every message in both directions (read from the sockets but
   * not forwarded, connections left open, as when a network path silently drops packets); new
   * connections are accepted and held alike. When it ends, the held messages are forwarded late
   * ({@code cutAtEnd} false) or every connection is closed and what it held discarded ({@code
   * cutAtEnd} true). A new black hole replaces one still open (and its end); {@link #clear()} ends
   * one early, forwarding what it held.
   *
   * @throws IllegalArgumentException if not positive or longer than {@link #MAX_FAULT}
   */
  public void blackhole(Duration duration, boolean cutAtEnd) {
    long nanos = bounded(duration, false, "blackhole");
    synchronized (faults) {
      checkOpen();
      Hole old = hole;
      if (old != null) {
        old.end.cancel(false);
      }
      Hole h = new Hole(System.nanoTime() + nanos, cutAtEnd);
      hole = h;
      h.end = timer.schedule(() -> endHole(h), nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Whether a black hole is open. */
  public boolean blackholed() {
    return hole != null;
  }

  /**
   * For {@code duration}, accepts new connections and closes them at once (counted in {@link
   * #connectionsRefused()}); closes every open connection at the start (counted in {@link
   * #connectionsCut()}).
   *
   * @throws IllegalArgumentException if not positive or longer than {@link #MAX_FAULT}
   */
  public void refuseConnections(Duration duration) {
    long nanos = bounded(duration, false, "refuseConnections");
    synchronized (faults) {
      checkOpen();
      refusal = new Refusal(System.nanoTime() + nanos);
    }
    cutEvery();
  }

  /** Whether new connections are being refused now. */
  public boolean refusing() {
    Refusal r = refusal;
    return r != null && r.active();
  }

  /**
   * Swallows the replies to the next {@code n} commands sent through the proxy and closes the
   * connection that carried each, as when a connection drops after the server executed a command
   * but before its reply arrived: the request is forwarded (the server executes it), the reply is
   * not, and the client sees a socket error. Only commands sent as OP_MSG with a reply expected
   * count, and not the driver's monitoring and handshake traffic ({@code hello}, {@code isMaster},
   * {@code ping}, {@code buildInfo}, {@code saslStart}, {@code saslContinue}, {@code endSessions},
   * {@code killCursors}). A command counts when the proxy forwards it: if its connection is closed
   * before the reply comes, the reply is lost anyway. Replaces an earlier drop rule; zero turns it
   * off.
   */
  public void dropNextReplies(int n) {
    setDrop(null, n);
  }

  /**
   * Like {@link #dropNextReplies(int)}, for the next {@code n} commands named {@code commandName}
   * only (compared ignoring case, as in {@code "update"}, {@code "delete"}, {@code
   * "findAndModify"}); a command named here counts even if it is monitoring traffic.
   */
  public void dropNextRepliesTo(String commandName, int n) {
    if (commandName == null || commandName.isEmpty()) {
      throw new IllegalArgumentException("a command name, such as update");
    }
    setDrop(commandName.toLowerCase(Locale.ROOT), n);
  }

  private void setDrop(String name, int n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must not be negative: " + n);
    }
    checkOpen();
    drop = n == 0 ? null : new DropRule(name, n);
  }

  /** How many of the replies that a drop rule claimed are still to be dropped. */
  public int repliesToDrop() {
    DropRule rule = drop;
    return rule == null ? 0 : Math.max(0, rule.remaining.get());
  }

  /**
   * Turns every fault off: no delay (for messages read from now on), no drop rule, no refusal, and
   * an open black hole ends now with its held messages forwarded.
   */
  public void clear() {
    delayNanos = 0;
    drop = null;
    synchronized (faults) {
      refusal = null;
      Hole h = hole;
      if (h != null) {
        h.end.cancel(false);
        hole = null;
      }
    }
    wakeWriters();
  }

  /** Replies swallowed by {@link #dropNextReplies(int)} so far. */
  public long repliesDropped() {
    return repliesDropped.get();
  }

  /**
   * Connections closed by a fault so far: {@link #cutAll()}, a black hole that cut at its end, the
   * start of {@link #refuseConnections(Duration)}, and each dropped reply.
   */
  public long connectionsCut() {
    return connectionsCut.get();
  }

  /** New connections closed at once during {@link #refuseConnections(Duration)}. */
  public long connectionsRefused() {
    return connectionsRefused.get();
  }

  /** Connections open through the proxy now. */
  public int openConnections() {
    return connections.size();
  }

  /**
   * Closes every connection and the listener, ends every fault and stops the proxy's threads,
   * waiting a few seconds for them to end. Idempotent; the fault methods throw {@link
   * IllegalStateException} afterwards.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeQuietly(listener);
    synchronized (faults) {
      Hole h = hole;
      if (h != null) {
        h.end.cancel(false);
        hole = null;
      }
      refusal = null;
    }
    drop = null;
    for (Connection c : List.copyOf(connections)) {
      c.close(false);
    }
    timer.shutdownNow();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
    try {
      timer.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
      for (Thread t : List.copyOf(threads)) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          break;
        }
        t.join(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "FaultProxy[127.0.0.1:" + port() + " -> " + target + "]";
  }

  // ---------------------------------------------------------------------------------------------

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  private static long bounded(Duration d, boolean zeroAllowed, String what) {
    if (d == null || d.isNegative() || (!zeroAllowed && d.isZero())) {
      throw new IllegalArgumentException(
          what + " needs a " + (zeroAllowed ? "non-negative" : "positive") + " duration: " + d);
    }
    if (d.compareTo(MAX_FAULT) > 0) {
      throw new IllegalArgumentException(
          what + " of " + d + " is longer than the " + MAX_FAULT + " a fault may last");
    }
    return d.toNanos();
  }

  private int cutEvery() {
    int n = 0;
    for (Connection c : List.copyOf(connections)) {
      if (c.close(true)) {
        n++;
      }
    }
    return n;
  }

  private void endHole(Hole h) {
    synchronized (faults) {
      if (hole != h) {
        return;
      }
      // cut before the hole ends, so that no held message gets out
      if (h.cutAtEnd) {
        cutEvery();
      }
      hole = null;
    }
    wakeWriters();
  }

  private void wakeWriters() {
    for (Connection c : List.copyOf(connections)) {
      c.toServer.wake();
      c.toClient.wake();
    }
  }

  private void spawn(String name, Runnable body) {
    Thread t =
        new Thread(
            () -> {
              try {
                body.run();
              } finally {
                threads.remove(Thread.currentThread());
              }
            },
            threadPrefix + name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  private void acceptLoop() {
    while (!closed.get()) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (!closed.get()) {
          closeQuietly(listener);
          System.err.println("[mongo-lock] " + this + " stopped accepting: " + e);
        }
        return;
      }
      if (refusing()) {
        connectionsRefused.incrementAndGet();
        closeQuietly(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(target, UPSTREAM_CONNECT_TIMEOUT_MS);
      } catch (IOException e) {
        // the client sees its connection closed, as if the server were down
        closeQuietly(upstream);
        closeQuietly(client);
        continue;
      }
      Connection c;
      try {
        c = new Connection(connectionIds.incrementAndGet(), client, upstream);
      } catch (IOException e) {
        closeQuietly(upstream);
        closeQuietly(client);
        continue;
      }
      connections.add(c);
      c.start();
      if (closed.get()) {
        c.close(false);
      } else if (refusing()) {
        c.close(true);
      }
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception ignored) {
      // closing is all that is wanted
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the wire protocol

  /**
   * Reads one whole message, or null at the end of the stream before its first byte.
   *
   * @throws IOException also when the length is not that of a wire message
   */
  static byte[] readMessage(InputStream in) throws IOException {
    byte[] length = in.readNBytes(4);
    if (length.length == 0) {
      return null;
    }
    if (length.length < 4) {
      throw new EOFException("end of stream inside a message header");
    }
    int total = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (total < HEADER || total > MAX_MESSAGE) {
      throw new IOException("not a MongoDB wire message (TLS or compression on?): length " + total);
    }
    byte[] message = new byte[total];
    System.arraycopy(length, 0, message, 0, 4);
    if (in.readNBytes(message, 4, total - 4) < total - 4) {
      throw new EOFException("end of stream inside a message");
    }
    return message;
  }

  private static int intAt(byte[] message, int offset) {
    return ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).getInt(offset);
  }

  static int requestId(byte[] message) {
    return intAt(message, 4);
  }

  static int responseTo(byte[] message) {
    return intAt(message, 8);
  }

  /**
   * The command an OP_MSG request names (the first key of its body, the section of kind 0), or null
   * for another opcode or a message that cannot be read so.
   */
  static String commandName(byte[] message) {
    try {
      if (message.length < HEADER + 5 || intAt(message, 12) != OP_MSG) {
        return null;
      }
      int flags = intAt(message, HEADER);
      int end = message.length - ((flags & CHECKSUM_PRESENT) != 0 ? 4 : 0);
      int pos = HEADER + 4;
      while (pos + 5 <= end) {
        byte kind = message[pos++];
        int size = intAt(message, pos);
        if (size < 5 || pos + size > end) {
          return null;
        }
        if (kind == 0) {
          RawBsonDocument body = new RawBsonDocument(message, pos, size);
          return body.isEmpty() ? null : body.getFirstKey();
        }
        if (kind != 1) {
          return null;
        }
        pos += size; // a document sequence: its size counts itself, its identifier and documents
      }
      return null;
    } catch (RuntimeException unreadable) {
      return null;
    }
  }

  /** Whether an OP_MSG request says that no reply is to come (moreToCome). */
  static boolean expectsNoReply(byte[] message) {
    return message.length >= HEADER + 4
        && intAt(message, 12) == OP_MSG
        && (intAt(message, HEADER) & MORE_TO_COME) != 0;
  }

  // ---------------------------------------------------------------------------------------------

  private static final class Hole {
    final long endNanos;
    final boolean cutAtEnd;
    ScheduledFuture<?> end;

    Hole(long endNanos, boolean cutAtEnd) {
      this.endNanos = endNanos;
      this.cutAtEnd = cutAtEnd;
    }
  }

  private record Refusal(long endNanos) {
    boolean active() {
      return System.nanoTime() - endNanos < 0;
    }
  }

  private static final class DropRule {
    /** Lower-case command name, or null for any counted command. */
    final String name;

    final AtomicInteger remaining;

    DropRule(String name, int n) {
      this.name = name;
      this.remaining = new AtomicInteger(n);
    }

    boolean claim(String command) {
      if (command == null) {
        return false;
      }
      String lower = command.toLowerCase(Locale.ROOT);
      boolean matches = name == null ? !UNCOUNTED.contains(lower) : name.equals(lower);
      return matches && remaining.getAndUpdate(r -> r > 0 ? r - 1 : 0) > 0;
    }
  }

  private record Message(byte[] bytes, long dueNanos, boolean dropAndCut) {}

  /** One client connection and its connection to the server. */
  private final class Connection {
    final int id;
    final Socket client;
    final Socket upstream;
    final Pipe toServer;
    final Pipe toClient;

    /** Request IDs whose replies are to be dropped. */
    final Set<Integer> dropReplyTo = ConcurrentHashMap.newKeySet();

    final AtomicBoolean closed = new AtomicBoolean();

    Connection(int id, Socket client, Socket upstream) throws IOException {
      this.id = id;
      this.client = client;
      this.upstream = upstream;
      this.toServer = new Pipe(this, true, client.getInputStream(), upstream.getOutputStream());
      this.toClient = new Pipe(this, false, upstream.getInputStream(), client.getOutputStream());
    }

    void start() {
      String name = "conn" + id + "-";
      spawn(name + "request-read", toServer::readLoop);
      spawn(name + "request-write", toServer::writeLoop);
      spawn(name + "reply-read", toClient::readLoop);
      spawn(name + "reply-write", toClient::writeLoop);
    }

    /** Notes a request read from the client, before it is forwarded. */
    void request(byte[] message) {
      DropRule rule = drop;
      if (rule != null && !expectsNoReply(message) && rule.claim(commandName(message))) {
        dropReplyTo.add(requestId(message));
      }
    }

    /** Whether a reply read from the server is to be dropped (with its connection). */
    boolean dropsReply(byte[] message) {
      return !dropReplyTo.isEmpty() && dropReplyTo.remove(responseTo(message));
    }

    /**
     * Closes both sockets; true if this call closed it.
     *
     * @param byFault whether a fault closed it (counted in {@link #connectionsCut()})
     */
    boolean close(boolean byFault) {
      if (!closed.compareAndSet(false, true)) {
        return false;
      }
      connections.remove(this);
      if (byFault) {
        connectionsCut.incrementAndGet();
      }
      closeQuietly(client);
      closeQuietly(upstream);
      toServer.shut();
      toClient.shut();
      return true;
    }
  }

  /** One direction of a connection: a reader thread queues messages, a writer forwards them. */
  private final class Pipe {
    final Connection connection;
    final boolean requests;
    final InputStream in;
    final OutputStream out;

    /** Guarded by this. */
    final ArrayDeque<Message> queue = new ArrayDeque<>();

    /** Guarded by this. */
    boolean shut;

    Pipe(Connection connection, boolean requests, InputStream in, OutputStream out) {
      this.connection = connection;
      this.requests = requests;
      this.in = new BufferedInputStream(in, 64 * 1024);
      this.out = out;
    }

    void readLoop() {
      try {
        byte[] message;
        while ((message = readMessage(in)) != null) {
          long due = System.nanoTime() + delayNanos;
          boolean dropAndCut = false;
          if (requests) {
            connection.request(message);
          } else {
            dropAndCut = connection.dropsReply(message);
          }
          synchronized (this) {
            if (shut) {
              return;
            }
            queue.addLast(new Message(message, due, dropAndCut));
            notifyAll();
          }
        }
      } catch (IOException closedOrBroken) {
        // the connection ends below
      } finally {
        connection.close(false);
      }
    }

    void writeLoop() {
      try {
        Message m;
        while ((m = next()) != null) {
          if (m.dropAndCut()) {
            if (connection.close(true)) {
              repliesDropped.incrementAndGet();
            }
            return;
          }
          out.write(m.bytes());
          out.flush();
        }
      } catch (IOException | InterruptedException closedOrBroken) {
        // the connection ends below
      } finally {
        connection.close(false);
      }
    }

    /** The next message due to be forwarded, waiting for it; null once shut. */
    private synchronized Message next() throws InterruptedException {
      while (true) {
        // The hole is read before shut: a hole that cuts at its end closes the connection before
        // the hole is cleared, so seeing it cleared means seeing the connection shut.
        Hole h = hole;
        if (shut) {
          return null;
        }
        Message m = queue.peekFirst();
        long now = System.nanoTime();
        if (m == null) {
          wait();
        } else if (h != null) {
          // woken when the hole ends; the timeout only guards against a lost wake-up
          long left = h.endNanos - now;
          waitNanos(left > 0 ? left + TimeUnit.MILLISECONDS.toNanos(50) : 10_000_000L);
        } else if (m.dueNanos() - now > 0) {
          waitNanos(m.dueNanos() - now);
        } else {
          return queue.pollFirst();
        }
      }
    }

    private void waitNanos(long nanos) throws InterruptedException {
      long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
      wait(millis, (int) (nanos - TimeUnit.MILLISECONDS.toNanos(millis)));
    }

    synchronized void wake() {
      notifyAll();
    }

    synchronized void shut() {
      shut = true;
      queue.clear();
      notifyAll();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // connection strings

  private static String plainUri(int port) {
    return "mongodb://127.0.0.1:" + port + "/?directConnection=true";
  }

  /**
   * {@code original} with its host replaced by 127.0.0.1:port, {@code directConnection=true}, and
   * without the options that would lead the driver past the proxy.
   */
  static String rewrite(String original, int port) {
    String rest = original.substring("mongodb://".length());
    int authorityEnd = rest.length();
    for (int i = 0; i < rest.length(); i++) {
      if (rest.charAt(i) == '/' || rest.charAt(i) == '?') {
        authorityEnd = i;
        break;
      }
    }
    String authority = rest.substring(0, authorityEnd);
    int at = authority.lastIndexOf('@');
    String userInfo = at < 0 ? "" : authority.substring(0, at + 1);
    String tail = rest.substring(authorityEnd);
    if (tail.startsWith("/")) {
      tail = tail.substring(1);
    }
    int question = tail.indexOf('?');
    String database = question < 0 ? tail : tail.substring(0, question);
    List<String> options = new ArrayList<>();
    if (question >= 0) {
      for (String option : tail.substring(question + 1).split("[&;]")) {
        String key = option.split("=", 2)[0].toLowerCase(Locale.ROOT);
        if (!option.isEmpty()
            && !Set.of("directconnection", "replicaset", "loadbalanced").contains(key)) {
          options.add(option);
        }
      }
    }
    options.add("directConnection=true");
    return "mongodb://"
        + userInfo
        + "127.0.0.1:"
        + port
        + "/"
        + database
        + "?"
        + String.join("&", options);
  }
}
