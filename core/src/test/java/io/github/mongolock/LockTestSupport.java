package io.github.mongolock;

import com.mongodb.MongoSocketOpenException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.bson.Document;

/** Small helpers shared by the core tests. */
final class LockTestSupport {

  private static final AtomicInteger COLLECTIONS = new AtomicInteger();

  private LockTestSupport() {}

  /** A fresh, empty lock collection. */
  static MongoCollection<Document> freshCollection(MongoDatabase db) {
    return db.getCollection("locks" + COLLECTIONS.incrementAndGet());
  }

  /** Fast polling, so that tests wait little. */
  static RWMutexOptions fast() {
    return RWMutexOptions.builder()
        .minSleepTime(Duration.ofMillis(1))
        .sleepTime(Duration.ofMillis(10))
        .build();
  }

  /**
   * The lock document in mongo-lock-node's shape: without {@code _id} and without this library's
   * lease fields ({@code holders}, {@code leases}, {@code fence}); see {@link #storedRaw}.
   */
  static Document stored(MongoCollection<Document> collection, String lockID) {
    Document doc = storedRaw(collection, lockID);
    if (doc != null) {
      doc.remove("_id");
      doc.remove("holders");
      doc.remove("leases");
      doc.remove("fence");
    }
    return doc;
  }

  static Document storedRaw(MongoCollection<Document> collection, String lockID) {
    return collection.find(Filters.eq("lockID", lockID)).first();
  }

  /** Runs on a new thread, so that its holds belong to that thread. */
  static <T> CompletableFuture<T> onThread(String name, Supplier<T> body) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                result.complete(body.get());
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            },
            name);
    t.setDaemon(true);
    t.start();
    return result;
  }

  static CompletableFuture<Void> onThread(String name, Runnable body) {
    return onThread(
        name,
        () -> {
          body.run();
          return null;
        });
  }

  static <T> T await(Future<T> future) {
    try {
      return future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new AssertionError(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("gave up waiting", e);
    }
  }

  /** Polls {@code condition} until it holds or {@code millis} pass; false on time-out. */
  static boolean eventually(java.util.function.BooleanSupplier condition, long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      sleep(10);
    }
    return true;
  }

  /**
   * Waits (up to 30 s, a loaded machine's worth) until every live thread named {@code name} waits
   * (parked on a condition or in a timed pause): the thread is blocked in the lock, not merely slow
   * to start. Fails the test on time-out.
   */
  static void awaitBlocked(String name) {
    boolean blocked =
        eventually(
            () -> {
              boolean seen = false;
              for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals(name) && t.isAlive()) {
                  seen = true;
                  Thread.State state = t.getState();
                  if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) {
                    return false;
                  }
                }
              }
              return seen;
            },
            30_000);
    if (!blocked) {
      throw new AssertionError("thread " + name + " never blocked");
    }
  }

  /** The client of the lock's writer-waiting mark, or null. */
  static String waitingMark(MongoCollection<Document> collection, String lockID) {
    Document doc = storedRaw(collection, lockID);
    return doc != null && doc.get("writerWaiting") instanceof Document mark
        ? mark.getString("client")
        : null;
  }

  /** Milliseconds since {@code startNanos}, a {@link System#nanoTime()} reading. */
  static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** One call on an {@link #intercepted} collection. */
  @FunctionalInterface
  interface Call {
    /** Runs the call on the wrapped collection: its result, or what it threw. */
    Object proceed() throws Throwable;
  }

  /** What an {@link #intercepted} collection does with each call. */
  @FunctionalInterface
  interface Interceptor {
    /**
     * Handles the call to {@code method} on {@code delegate}: may throw instead, or run {@code
     * call} and act before or after it; returns the call's result.
     */
    Object intercept(String method, MongoCollection<Document> delegate, Call call) throws Throwable;
  }

  /**
   * {@code delegate} with every call passed through {@code interceptor}; the collections derived
   * from it ({@code with...}: the library applies its write and read concerns) are intercepted too.
   */
  @SuppressWarnings("unchecked")
  static MongoCollection<Document> intercepted(
      MongoCollection<Document> delegate, Interceptor interceptor) {
    return (MongoCollection<Document>)
        Proxy.newProxyInstance(
            MongoCollection.class.getClassLoader(),
            new Class<?>[] {MongoCollection.class},
            (proxy, method, args) -> {
              String name = method.getName();
              Object result =
                  interceptor.intercept(
                      name,
                      delegate,
                      () -> {
                        try {
                          return method.invoke(delegate, args);
                        } catch (InvocationTargetException e) {
                          throw e.getCause();
                        }
                      });
              if (name.startsWith("with") && result instanceof MongoCollection<?> derived) {
                return intercepted((MongoCollection<Document>) derived, interceptor);
              }
              return result;
            });
  }

  /**
   * A collection whose next {@code updateOne} or {@code deleteOne} is applied by MongoDB but whose
   * reply never arrives: the caller sees a socket read error, as when a connection drops after the
   * server has executed the command.
   */
  static final class LosingReplies {
    final MongoCollection<Document> collection;
    private final AtomicInteger repliesToLose = new AtomicInteger();
    final AtomicInteger lost = new AtomicInteger();
    private volatile Runnable afterLoss = () -> {};
    private final AtomicInteger writesToRefuse = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();

    LosingReplies(MongoCollection<Document> delegate) {
      this.collection = wrap(delegate);
    }

    /**
     * The library applies its write and read concerns: the collections it derives lose replies too.
     */
    private MongoCollection<Document> wrap(MongoCollection<Document> delegate) {
      return intercepted(
          delegate,
          (name, on, call) -> {
            boolean write =
                name.equals("updateOne")
                    || name.equals("deleteOne")
                    || name.equals("updateMany")
                    || name.equals("findOneAndUpdate");
            if (write && writesToRefuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              refused.incrementAndGet();
              throw new MongoSocketOpenException(
                  "simulated: connection refused", new ServerAddress());
            }
            Object result = call.proceed();
            if ((name.equals("updateOne") || name.equals("deleteOne"))
                && repliesToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              lost.incrementAndGet();
              afterLoss.run();
              throw new MongoSocketReadException(
                  "simulated: connection dropped before the reply", new ServerAddress());
            }
            return result;
          });
    }

    void loseNextReplies(int n) {
      repliesToLose.set(n);
    }

    /** Runs {@code action} after each lost reply, before the caller sees the error. */
    void afterEachLoss(Runnable action) {
      afterLoss = action;
    }

    /**
     * The next {@code n} writes (updates, deletes, findAndModify, the heartbeat's updateMany
     * included) fail before reaching MongoDB, as when connections are refused.
     */
    void refuseNextWrites(int n) {
      writesToRefuse.set(n);
    }
  }
}
