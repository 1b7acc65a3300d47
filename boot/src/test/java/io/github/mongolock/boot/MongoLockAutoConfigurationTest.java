package io.github.mongolock.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.LockListener;
import io.github.mongolock.LockRuntime;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.aspect.ClientIdProvider;
import io.github.mongolock.aspect.EnableMongoLocks;
import io.github.mongolock.aspect.MongoLocks;
import io.github.mongolock.aspect.WriteLocked;
import io.github.mongolock.aspect.internal.MongoLocksInfrastructure;
import io.github.mongolock.testkit.CommandShapes;
import io.github.mongolock.testkit.TestMongo;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.aop.Advisor;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.data.mongodb.MongoDatabaseFactory;
import org.springframework.data.mongodb.core.SimpleMongoClientDatabaseFactory;

/**
 * The auto-configuration in {@link ApplicationContextRunner}s on the testkit's MongoDB (the strict
 * embedded server unless {@code MONGODB_URI} is set): where it finds the lock collection, when it
 * backs off, each property, bad values and their failure analysis, and locked methods that exclude
 * each other across two applications.
 */
class MongoLockAutoConfigurationTest {

  private static final CommandShapes SHAPES =
      TestMongo.get().isStrict() ? CommandShapes.forStandalone() : new CommandShapes();
  private static MongoClient client;
  private static final String DB = "t_boot_autoconfig";

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(MongoLockAutoConfiguration.class));

  /**
   * The application's MongoClient, as Boot's MongoDB auto-configuration would define it (shared by
   * the tests: a context must not close it).
   */
  @Configuration(proxyBeanMethods = false)
  static class Client {
    @Bean(destroyMethod = "")
    MongoClient mongoClient() {
      return client;
    }
  }

  @BeforeAll
  static void connect() {
    System.out.println(
        "[mongo-lock] MongoLockAutoConfigurationTest runs on " + TestMongo.get().description());
    client = TestMongo.get().newClient(SHAPES);
    client.getDatabase(DB).drop();
  }

  @AfterAll
  static void disconnect() {
    try {
      client.getDatabase(DB).drop();
      for (String other : List.of("from_factory", "from_bean", "boot4", "boot3", "from_uri")) {
        client.getDatabase(other).drop();
      }
    } finally {
      client.close();
    }
    SHAPES.assertNoViolations();
  }

  private static String namespace(MongoLocks locks) {
    return locks.collection().getNamespace().getFullName();
  }

  // ---- what it provides ----

  @Test
  void providesItsOwnRuntimeAndMongoLocksOnTheApplicationsClient() {
    LockRuntime[] runtime = new LockRuntime[1];
    runner
        .withUserConfiguration(Client.class)
        .withPropertyValues("mongo-lock.database=" + DB)
        .run(
            context -> {
              assertNull(context.getStartupFailure());
              MongoLocks locks = context.getBean(MongoLocks.class);
              assertEquals(DB + ".locks", namespace(locks));
              runtime[0] = context.getBean(LockRuntime.class);
              assertNotSame(LockRuntime.shared(), runtime[0]);
              assertFalse(runtime[0].isClosed());
              assertEquals(ClientIdProvider.perProcess().clientId(), locks.clientId());
              assertEquals(
                  1, context.getBeanNamesForType(MongoClient.class).length, "no own client");
            });
    assertTrue(runtime[0].isClosed(), "closed with the context");
  }

  /**
   * A bean that injects MongoLocks, registered before the MongoClient as a scanned component is.
   */
  record EarlyUser(MongoLocks locks) {}

  @Configuration(proxyBeanMethods = false)
  static class EarlyUserConfig {
    @Bean
    EarlyUser earlyUser(MongoLocks locks) {
      return new EarlyUser(locks);
    }
  }

  /** The application's own MongoClient, closed with its context as Boot's is. */
  @Configuration(proxyBeanMethods = false)
  static class ClosingClient {
    @Bean
    MongoClient mongoClient() {
      return TestMongo.get().newClient(SHAPES);
    }
  }

  @Test
  void theRuntimeGivesUpItsHoldsBeforeTheApplicationsClientIsClosed() {
    // The client is made while MongoLocks is (after the runtime): without a declared dependency
    // the context would close the client first, and the runtime's releases would fail on it,
    // leaving the lock held in MongoDB until its lease ran out.
    runner
        .withUserConfiguration(EarlyUserConfig.class, ClosingClient.class)
        .withPropertyValues("mongo-lock.database=" + DB)
        .run(
            context -> {
              assertNull(context.getStartupFailure());
              MongoLocks locks = context.getBean(EarlyUser.class).locks();
              // left open on purpose: the context's close gives it up
              locks.mutex("open-at-close").acquireWrite(Duration.ofSeconds(5));
              assertNotNull(lockDocument("open-at-close").getString("writer"));
            });
    Document after = lockDocument("open-at-close");
    assertTrue(
        after == null || after.getString("writer") == null,
        "released in MongoDB when the context closed: " + after);
  }

  private static Document lockDocument(String lockId) {
    return client
        .getDatabase(DB)
        .getCollection("locks")
        .find(new Document("lockID", lockId))
        .first();
  }

  static final class Listener implements LockListener {}

  @Configuration(proxyBeanMethods = false)
  static class Listeners {
    @Bean
    @Order(2)
    Listener second() {
      return new Listener();
    }

    @Bean
    @Order(1)
    Listener first() {
      return new Listener();
    }
  }

  @Test
  void registersTheLockListenerBeansInTheirOrder() {
    runner
        .withUserConfiguration(Client.class, Listeners.class)
        .withPropertyValues("mongo-lock.database=" + DB)
        .run(
            context ->
                assertEquals(
                    List.of(context.getBean("first"), context.getBean("second")),
                    listeners(context.getBean(LockRuntime.class))));
  }

  @SuppressWarnings("unchecked")
  private static List<LockListener> listeners(LockRuntime runtime) throws Exception {
    // package-private in core: what the runtime will tell, without depending on events
    Method listeners = LockRuntime.class.getDeclaredMethod("listeners");
    listeners.setAccessible(true);
    return List.copyOf((List<LockListener>) listeners.invoke(runtime));
  }

  // ---- where the lock collection comes from, in order ----

  @Configuration(proxyBeanMethods = false)
  static class Everything {
    @Bean
    MongoCollection<Document> mongoLockCollection() {
      return client.getDatabase(DB).getCollection("explicit");
    }

    @Bean
    MongoDatabaseFactory mongoDatabaseFactory() {
      return new SimpleMongoClientDatabaseFactory(client, "from_factory");
    }

    @Bean
    MongoDatabase mongoDatabase() {
      return client.getDatabase("from_bean");
    }
  }

  @Test
  void theCollectionBeanComesFirst() {
    runner
        .withUserConfiguration(Client.class, Everything.class)
        .withPropertyValues("mongo-lock.database=" + DB, "spring.mongodb.database=boot4")
        .run(
            context ->
                assertEquals(DB + ".explicit", namespace(context.getBean(MongoLocks.class))));
  }

  @Configuration(proxyBeanMethods = false)
  static class FactoryAndDatabase {
    @Bean
    MongoDatabaseFactory mongoDatabaseFactory() {
      return new SimpleMongoClientDatabaseFactory(client, "from_factory");
    }

    @Bean
    MongoDatabase mongoDatabase() {
      return client.getDatabase("from_bean");
    }
  }

  @Test
  void thenTheDatabasePropertyInTheSingleClient() {
    runner
        .withUserConfiguration(Client.class, FactoryAndDatabase.class)
        .withPropertyValues("mongo-lock.database=" + DB, "mongo-lock.collection=app_locks")
        .run(
            context ->
                assertEquals(DB + ".app_locks", namespace(context.getBean(MongoLocks.class))));
  }

  @Test
  void theDatabasePropertyOpensTheFactoryWhenThereIsNoClient() {
    runner
        .withUserConfiguration(FactoryAndDatabase.class)
        .withPropertyValues("mongo-lock.database=" + DB)
        .run(context -> assertEquals(DB + ".locks", namespace(context.getBean(MongoLocks.class))));
  }

  @Test
  void thenSpringDatasDatabaseFactory() {
    runner
        .withUserConfiguration(Client.class, FactoryAndDatabase.class)
        .withPropertyValues("spring.mongodb.database=boot4")
        .run(
            context ->
                assertEquals("from_factory.locks", namespace(context.getBean(MongoLocks.class))));
  }

  @Configuration(proxyBeanMethods = false)
  static class DatabaseOnly {
    @Bean
    MongoDatabase mongoDatabase() {
      return client.getDatabase("from_bean");
    }
  }

  @Test
  void thenTheSingleMongoDatabase() {
    runner
        .withUserConfiguration(Client.class, DatabaseOnly.class)
        .withPropertyValues("spring.mongodb.database=boot4")
        .run(
            context ->
                assertEquals("from_bean.locks", namespace(context.getBean(MongoLocks.class))));
  }

  @Test
  void withoutSpringDataTheSingleMongoDatabase() {
    runner
        .withClassLoader(new FilteredClassLoader(MongoDatabaseFactory.class))
        .withUserConfiguration(Client.class, DatabaseOnly.class)
        .run(
            context -> {
              assertEquals("from_bean.locks", namespace(context.getBean(MongoLocks.class)));
              assertFalse(context.containsBean("mongoLockSpringDataDatabases"));
            });
  }

  @Test
  void thenTheDatabaseOfTheApplicationsMongoProperties() {
    runner
        .withUserConfiguration(Client.class)
        .withPropertyValues("spring.mongodb.database=boot4", "spring.data.mongodb.database=boot3")
        .run(context -> assertEquals("boot4.locks", namespace(context.getBean(MongoLocks.class))));
    runner
        .withUserConfiguration(Client.class)
        .withPropertyValues("spring.data.mongodb.database=boot3")
        .run(context -> assertEquals("boot3.locks", namespace(context.getBean(MongoLocks.class))));
    runner
        .withUserConfiguration(Client.class)
        .withPropertyValues(
            "spring.data.mongodb.uri=mongodb://user:secret@db.example:27017/from_uri")
        .run(
            context ->
                assertEquals("from_uri.locks", namespace(context.getBean(MongoLocks.class))));
  }

  // ---- no MongoDB: nothing to lock is fine, something to lock fails the startup ----

  /** One resource for every application of a test: it counts calls that overlap. */
  public static class Ledger {
    static final AtomicInteger INSIDE = new AtomicInteger();
    static final AtomicInteger OVERLAPS = new AtomicInteger();
    static final AtomicInteger CALLS = new AtomicInteger();

    @WriteLocked("ledger-#{#account}")
    public void post(String account) throws InterruptedException {
      if (INSIDE.incrementAndGet() > 1) {
        OVERLAPS.incrementAndGet();
      }
      CALLS.incrementAndGet();
      Thread.sleep(15);
      INSIDE.decrementAndGet();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class LedgerConfig {
    @Bean
    Ledger ledger() {
      return new Ledger();
    }
  }

  @Test
  void withNoMongoDbAndNothingToLockTheApplicationStarts() {
    runner.run(
        context -> {
          assertNull(context.getStartupFailure());
          assertTrue(context.containsBean("mongoLocks"), "defined, made when first needed");
          Exception e = assertThrows(Exception.class, () -> context.getBean(MongoLocks.class));
          assertNotNull(analyze(e), "a MongoLocks injection point gets the analysis too");
        });
  }

  @Test
  void lockedMethodsWithNoMongoDbFailTheStartupNamingThem() {
    runner
        .withUserConfiguration(LedgerConfig.class)
        .run(
            context -> {
              Throwable failure = context.getStartupFailure();
              assertNotNull(failure, "must not start and run Ledger.post unlocked");
              FailureAnalysis analysis = analyze(failure);
              assertNotNull(analysis);
              assertContains(
                  analysis.getDescription(),
                  "@WriteLocked(\"ledger-#{#account}\") on ",
                  "Ledger.post(String)",
                  "would otherwise run unlocked",
                  "found no MongoDB database",
                  "no MongoClient bean",
                  "spring.mongodb.uri");
              assertContains(analysis.getAction(), "MongoClient", "mongoLockCollection");
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class TwoClients {
    @Bean(destroyMethod = "")
    MongoClient first() {
      return client;
    }

    @Bean(destroyMethod = "")
    MongoClient second() {
      return client;
    }
  }

  @Test
  void twoClientsAndADatabasePropertyAreReportedAsAmbiguous() {
    runner
        .withUserConfiguration(TwoClients.class, LedgerConfig.class)
        .withPropertyValues("mongo-lock.database=" + DB)
        .run(
            context -> {
              FailureAnalysis analysis = analyze(context.getStartupFailure());
              assertContains(
                  analysis.getDescription(),
                  "'mongo-lock.database' is '" + DB + "'",
                  "2 MongoClient beans (first, second)");
            });
  }

  @Test
  void aConnectionStringsPasswordIsNeverInTheMessage() {
    runner
        .withUserConfiguration(LedgerConfig.class)
        .withPropertyValues("spring.mongodb.uri=mongodb://user:s3cret@db.example:27017/app")
        .run(
            context -> {
              StringBuilder all = new StringBuilder();
              for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
                all.append(t.getMessage());
              }
              FailureAnalysis analysis = analyze(context.getStartupFailure());
              all.append(analysis.getDescription()).append(analysis.getAction());
              assertContains(all.toString(), "'app'");
              assertFalse(all.toString().contains("s3cret"), all.toString());
            });
  }

  // ---- backing off ----

  @Test
  void backsOffWhenDisabled() {
    runner
        .withUserConfiguration(Client.class)
        .withPropertyValues("mongo-lock.enabled=false", "mongo-lock.database=" + DB)
        .run(
            context -> {
              assertEquals(0, context.getBeanNamesForType(MongoLocks.class).length);
              assertEquals(0, context.getBeanNamesForType(LockRuntime.class).length);
              assertEquals(0, context.getBeanNamesForType(Advisor.class).length);
            });
  }

  @Test
  void backsOffWithoutTheDriver() {
    runner
        .withClassLoader(new FilteredClassLoader(MongoClient.class))
        .run(context -> assertEquals(0, context.getBeanNamesForType(MongoLocks.class).length));
  }

  @Configuration(proxyBeanMethods = false)
  @EnableMongoLocks(collection = "enabled_by_hand", waitTimeout = "3s")
  static class ByHand {}

  @Test
  void backsOffForEnableMongoLocks() {
    runner
        .withUserConfiguration(Client.class, DatabaseOnly.class, ByHand.class, LedgerConfig.class)
        .withPropertyValues("mongo-lock.wait-timeout=9s", "mongo-lock.database=" + DB)
        .run(
            context -> {
              assertNull(context.getStartupFailure());
              MongoLocks locks = context.getBean(MongoLocks.class);
              assertEquals("from_bean.enabled_by_hand", namespace(locks));
              assertEquals(Duration.ofSeconds(3), locks.defaultWaitTimeout());
              assertFalse(context.containsBean("mongoLockSettings"));
              assertEquals(1, context.getBeanNamesForType(LockRuntime.class).length);
              assertEquals(1, context.getBeanNamesForType(Advisor.class).length, "one advisor");
              assertTrue(AopUtils.isAopProxy(context.getBean(Ledger.class)));
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnLocks {
    @Bean
    MongoLocks myLocks() {
      return new MongoLocks(
          client.getDatabase(DB).getCollection("own"), () -> "own-client", Duration.ofSeconds(4));
    }
  }

  @Test
  void anApplicationsMongoLocksReplacesItsOwnAndTheAnnotationsUseIt() {
    runner
        .withUserConfiguration(Client.class, OwnLocks.class, LedgerConfig.class)
        .withPropertyValues("mongo-lock.database=" + DB)
        .run(
            context -> {
              MongoLocks own = context.getBean(MongoLocks.class);
              assertEquals(DB + ".own", namespace(own));
              assertFalse(context.containsBean("mongoLockRuntime"));
              assertFalse(context.containsBean("mongoLockSettings"));
              Ledger ledger = context.getBean(Ledger.class);
              assertTrue(AopUtils.isAopProxy(ledger), "the annotations still lock");
              // while the method runs, the lock document in the own collection names its client
              Document[] seen = new Document[1];
              own.withReadLock(
                  "probe",
                  () -> {
                    seen[0] =
                        client
                            .getDatabase(DB)
                            .getCollection("own")
                            .find(new Document("lockID", "probe"))
                            .first();
                    return null;
                  });
              assertNotNull(seen[0]);
              assertEquals(List.of("own-client"), seen[0].getList("readers", String.class));
              int before = Ledger.CALLS.get();
              ledger.post("x");
              assertEquals(before + 1, Ledger.CALLS.get());
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnClientId {
    @Bean
    ClientIdProvider clientIdProvider() {
      return () -> "from-a-bean";
    }
  }

  @Test
  void anApplicationsClientIdProviderWinsOverTheProperty() {
    runner
        .withUserConfiguration(Client.class, OwnClientId.class)
        .withPropertyValues("mongo-lock.database=" + DB, "mongo-lock.client-id=from-property")
        .run(context -> assertEquals("from-a-bean", context.getBean(MongoLocks.class).clientId()));
  }

  // ---- properties ----

  @Test
  void eachPropertyReachesMongoLocksAndItsOptions() {
    runner
        .withUserConfiguration(Client.class, LedgerConfig.class)
        .withPropertyValues(
            "mongo-lock.database=" + DB,
            "mongo-lock.collection=tuned",
            "mongo-lock.client-id=node-7",
            "mongo-lock.wait-timeout=1500ms",
            "mongo-lock.lease-time=12s",
            "mongo-lock.renew-interval=3s",
            "mongo-lock.command-timeout=2s",
            "mongo-lock.write-concern=w1",
            "mongo-lock.read-concern=local",
            "mongo-lock.ensure-index=false",
            "mongo-lock.change-streams=true",
            "mongo-lock.sleep-time=80ms",
            "mongo-lock.min-sleep-time=5ms",
            "mongo-lock.writer-preference=false",
            "mongo-lock.writer-waiting-ttl=3s",
            "mongo-lock.aop.order=42")
        .run(
            context -> {
              MongoLocks locks = context.getBean(MongoLocks.class);
              assertEquals(DB + ".tuned", namespace(locks));
              assertEquals("node-7", locks.clientId());
              assertEquals(Duration.ofMillis(1500), locks.defaultWaitTimeout());
              assertEquals(Duration.ofSeconds(12), locks.defaultLeaseTime());
              RWMutexOptions options = locks.mutex("any").options();
              assertEquals(Duration.ofSeconds(3), options.renewInterval());
              assertEquals(Duration.ofSeconds(2), options.commandTimeout());
              assertEquals(WriteConcern.W1, options.writeConcern());
              assertEquals(ReadConcern.LOCAL, options.readConcern());
              assertFalse(options.ensureIndex());
              assertTrue(options.changeStreams());
              assertEquals(Duration.ofMillis(80), options.sleepTime());
              assertEquals(Duration.ofMillis(5), options.minSleepTime());
              assertFalse(options.writerPreference());
              assertEquals(Duration.ofSeconds(3), options.writerWaitingTtl());
              Advisor advisor = context.getBean(Advisor.class);
              assertEquals(42, ((Ordered) advisor).getOrder());
            });
  }

  @Test
  void theDefaultsAreTodays() {
    runner
        .withUserConfiguration(Client.class, LedgerConfig.class)
        .withPropertyValues("mongo-lock.database=" + DB)
        .run(
            context -> {
              MongoLocks locks = context.getBean(MongoLocks.class);
              assertEquals(MongoLocks.DEFAULT_WAIT_TIMEOUT, locks.defaultWaitTimeout());
              assertEquals(RWMutexOptions.defaults(), locks.mutex("any").options());
              assertEquals(
                  Ordered.LOWEST_PRECEDENCE - 1,
                  ((Ordered) context.getBean(Advisor.class)).getOrder());
              MongoLocksInfrastructure.AdviceSettings settings =
                  context.getBean(MongoLocksInfrastructure.AdviceSettings.class);
              assertEquals(
                  org.springframework.context.annotation.AdviceMode.PROXY, settings.mode());
              // Boot's convention: class proxies, so a locked method need not be on an interface
              assertTrue(AopUtils.isCglibProxy(context.getBean(Ledger.class)));
            });
  }

  @Test
  void badValuesFailTheStartupNamingTheProperty() {
    assertBadValue("mongo-lock.write-concern=fast", "mongo-lock.write-concern", "'fast'");
    assertBadValue("mongo-lock.write-concern=0", "mongo-lock.write-concern", "unacknowledged");
    assertBadValue("mongo-lock.read-concern=eventual", "mongo-lock.read-concern", "'eventual'");
    assertBadValue("mongo-lock.lease-time=0s", "mongo-lock.lease-time", "positive");
    assertBadValue(
        "mongo-lock.renew-interval=40s",
        "mongo-lock.renew-interval",
        "must be shorter than mongo-lock.lease-time");
    assertBadValue(
        "mongo-lock.min-sleep-time=1s", "mongo-lock.min-sleep-time", "mongo-lock.sleep-time");
    assertBadValue("mongo-lock.wait-timeout=-1s", "mongo-lock.wait-timeout", "negative");
    assertBadValue("mongo-lock.collection= ", "mongo-lock.collection", "blank");
  }

  private void assertBadValue(String setting, String property, String reason) {
    runner
        .withUserConfiguration(Client.class)
        .withPropertyValues("mongo-lock.database=" + DB, setting)
        .run(
            context -> {
              Throwable failure = context.getStartupFailure();
              assertNotNull(failure, setting + " must fail the startup");
              FailureAnalysis analysis = analyze(failure);
              assertNotNull(analysis, setting);
              assertContains(analysis.getDescription(), "'" + property + "'", reason);
              assertContains(analysis.getAction(), "'" + property + "'");
            });
  }

  @Test
  void valuesOfTheWrongTypeFailTheBindingNamingTheProperty() {
    for (String setting :
        List.of(
            "mongo-lock.wait-timeout=soon",
            "mongo-lock.aop.mode=weave",
            "mongo-lock.aop.order=x")) {
      runner
          .withUserConfiguration(Client.class)
          .withPropertyValues("mongo-lock.database=" + DB, setting)
          .run(
              context -> {
                Throwable failure = context.getStartupFailure();
                assertNotNull(failure, setting);
                StringBuilder all = new StringBuilder();
                for (Throwable t = failure; t != null; t = t.getCause()) {
                  all.append(t.getMessage()).append('\n');
                }
                assertContains(all.toString(), setting.substring(0, setting.indexOf('=')));
              });
    }
  }

  @Test
  void aspectjModeWithoutWeavingFailsTheStartup() {
    runner
        .withUserConfiguration(Client.class, LedgerConfig.class)
        .withPropertyValues("mongo-lock.database=" + DB, "mongo-lock.aop.mode=aspectj")
        .run(
            context -> {
              FailureAnalysis analysis = analyze(context.getStartupFailure());
              assertNotNull(analysis);
              assertContains(analysis.getDescription(), "not woven");
              assertContains(analysis.getAction(), "-javaagent", "MongoLockAspect");
            });
  }

  public static class PrivateLock {
    public void run() {
      locked();
    }

    @WriteLocked("private")
    private void locked() {}
  }

  @Test
  void theAspectsStartupChecksAreAnalyzed() {
    runner
        .withUserConfiguration(Client.class)
        .withBean(PrivateLock.class)
        .withPropertyValues("mongo-lock.database=" + DB)
        .run(
            context -> {
              FailureAnalysis analysis = analyze(context.getStartupFailure());
              assertNotNull(analysis);
              assertContains(
                  analysis.getDescription(), "PrivateLock.locked()", "cannot intercept a private");
            });
  }

  @Test
  void theAnalyzerAndTheAutoConfigurationAreRegistered() throws IOException {
    assertContains(
        resource("META-INF/spring.factories"),
        "org.springframework.boot.diagnostics.FailureAnalyzer=",
        MongoLockFailureAnalyzer.class.getName());
    assertContains(
        resource(
            "META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports"),
        MongoLockAutoConfiguration.class.getName());
  }

  // ---- locking ----

  @Test
  void aLockedMethodExcludesConcurrentCallersOfTwoApplications() {
    assertEquals(0, overlapsOfTwoNodes("exclusion", "exclusion"));
  }

  @Test
  void negativeControlTwoApplicationsOnDifferentCollectionsOverlap() {
    // The same calls, but each node locks in a collection of its own: nothing keeps them apart,
    // and the check above must be able to see that.
    assertTrue(overlapsOfTwoNodes("apart_a", "apart_b") > 0, "the overlap check sees overlaps");
  }

  /** Two applications (client IDs), two threads each, 5 calls per thread; returns the overlaps. */
  private int overlapsOfTwoNodes(String collectionA, String collectionB) {
    Ledger.INSIDE.set(0);
    Ledger.OVERLAPS.set(0);
    Ledger.CALLS.set(0);
    ApplicationContextRunner node =
        runner
            .withUserConfiguration(Client.class, LedgerConfig.class)
            .withPropertyValues("mongo-lock.database=" + DB);
    node.withPropertyValues("mongo-lock.client-id=node-a", "mongo-lock.collection=" + collectionA)
        .run(
            a ->
                node.withPropertyValues(
                        "mongo-lock.client-id=node-b", "mongo-lock.collection=" + collectionB)
                    .run(b -> callConcurrently(a.getBean(Ledger.class), b.getBean(Ledger.class))));
    assertEquals(20, Ledger.CALLS.get(), "every call ran");
    return Ledger.OVERLAPS.get();
  }

  private static void callConcurrently(Ledger a, Ledger b) throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try {
      List<Callable<Void>> calls = new ArrayList<>();
      for (Ledger through : List.of(a, b, a, b)) {
        calls.add(
            () -> {
              for (int n = 0; n < 5; n++) {
                through.post("acct-1");
              }
              return null;
            });
      }
      for (Future<Void> call : callers.invokeAll(calls)) {
        call.get(60, TimeUnit.SECONDS);
      }
    } finally {
      callers.shutdownNow();
    }
  }

  private static FailureAnalysis analyze(Throwable failure) {
    return new MongoLockFailureAnalyzer().analyze(failure);
  }

  private static String resource(String name) throws IOException {
    try (InputStream in =
        MongoLockAutoConfigurationTest.class.getClassLoader().getResourceAsStream(name)) {
      assertNotNull(in, name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void assertContains(String text, String... parts) {
    for (String part : parts) {
      assertTrue(text != null && text.contains(part), "expected \"" + part + "\" in:\n" + text);
    }
  }
}
