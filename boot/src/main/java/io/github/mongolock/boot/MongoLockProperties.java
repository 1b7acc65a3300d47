package io.github.mongolock.boot;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.AdviceMode;
import org.springframework.core.Ordered;

/**
 * The {@code mongo-lock.*} properties of the auto-configuration. Defaults are those of {@code
 * MongoLocks} and {@code RWMutexOptions}; values are checked when the context starts, and a bad one
 * fails the startup naming the property.
 */
@ConfigurationProperties("mongo-lock")
public class MongoLockProperties {

  /**
   * Whether to enable the lock auto-configuration. When disabled, methods annotated with
   * WriteLocked or ReadLocked are not locked.
   */
  private boolean enabled = true;

  /** Name of the collection that holds the locks. */
  private String collection = "locks";

  /**
   * Database of the lock collection, in the application's single MongoClient. When not set, the
   * database of the application's MongoDB configuration is used.
   */
  private String database;

  /**
   * Client ID under which this process holds locks; must differ between processes. When not set,
   * "host:pid:random", fixed for the life of the process.
   */
  private String clientId;

  /** How long locked methods and MongoLocks calls wait for a lock unless they say otherwise. */
  private Duration waitTimeout = Duration.ofSeconds(30);

  /**
   * How long a hold outlives a process that stops renewing it, unless a method or call names
   * another lease.
   */
  private Duration leaseTime = Duration.ofSeconds(30);

  /** How often held leases are renewed. When not set, a third of the lease time. */
  private Duration renewInterval;

  /** Longest time one MongoDB command of the lock may take where no shorter bound applies. */
  private Duration commandTimeout = Duration.ofSeconds(5);

  /**
   * Write concern of lock state changes, such as "majority", "w1" or "1". Anything weaker than
   * "majority" may let a replica-set failover roll back an acquire.
   */
  private String writeConcern = "majority";

  /** Read concern of lock state reads, such as "majority" or "local". */
  private String readConcern = "majority";

  /** Whether to create the lock collection's indexes on first use. */
  private boolean ensureIndex = true;

  /**
   * Whether waiting acquires also watch the lock collection with a change stream, to try again as
   * soon as a lock is released. Needs a replica set or a sharded cluster.
   */
  private boolean changeStreams = false;

  /** Longest pause between two attempts of a waiting acquire. */
  private Duration sleepTime = Duration.ofMillis(40);

  /** First pause of a waiting acquire; pauses double up to the sleep time. */
  private Duration minSleepTime = Duration.ofMillis(2);

  /** Whether a waiting writer keeps new readers of other clients out. */
  private boolean writerPreference = true;

  /** How long a waiting writer's mark keeps readers out without being refreshed. */
  private Duration writerWaitingTtl = Duration.ofSeconds(2);

  private final Aop aop = new Aop();

  private final Metrics metrics = new Metrics();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getCollection() {
    return collection;
  }

  public void setCollection(String collection) {
    this.collection = collection;
  }

  public String getDatabase() {
    return database;
  }

  public void setDatabase(String database) {
    this.database = database;
  }

  public String getClientId() {
    return clientId;
  }

  public void setClientId(String clientId) {
    this.clientId = clientId;
  }

  public Duration getWaitTimeout() {
    return waitTimeout;
  }

  public void setWaitTimeout(Duration waitTimeout) {
    this.waitTimeout = waitTimeout;
  }

  public Duration getLeaseTime() {
    return leaseTime;
  }

  public void setLeaseTime(Duration leaseTime) {
    this.leaseTime = leaseTime;
  }

  public Duration getRenewInterval() {
    return renewInterval;
  }

  public void setRenewInterval(Duration renewInterval) {
    this.renewInterval = renewInterval;
  }

  public Duration getCommandTimeout() {
    return commandTimeout;
  }

  public void setCommandTimeout(Duration commandTimeout) {
    this.commandTimeout = commandTimeout;
  }

  public String getWriteConcern() {
    return writeConcern;
  }

  public void setWriteConcern(String writeConcern) {
    this.writeConcern = writeConcern;
  }

  public String getReadConcern() {
    return readConcern;
  }

  public void setReadConcern(String readConcern) {
    this.readConcern = readConcern;
  }

  public boolean isEnsureIndex() {
    return ensureIndex;
  }

  public void setEnsureIndex(boolean ensureIndex) {
    this.ensureIndex = ensureIndex;
  }

  public boolean isChangeStreams() {
    return changeStreams;
  }

  public void setChangeStreams(boolean changeStreams) {
    this.changeStreams = changeStreams;
  }

  public Duration getSleepTime() {
    return sleepTime;
  }

  public void setSleepTime(Duration sleepTime) {
    this.sleepTime = sleepTime;
  }

  public Duration getMinSleepTime() {
    return minSleepTime;
  }

  public void setMinSleepTime(Duration minSleepTime) {
    this.minSleepTime = minSleepTime;
  }

  public boolean isWriterPreference() {
    return writerPreference;
  }

  public void setWriterPreference(boolean writerPreference) {
    this.writerPreference = writerPreference;
  }

  public Duration getWriterWaitingTtl() {
    return writerWaitingTtl;
  }

  public void setWriterWaitingTtl(Duration writerWaitingTtl) {
    this.writerWaitingTtl = writerWaitingTtl;
  }

  public Aop getAop() {
    return aop;
  }

  public Metrics getMetrics() {
    return metrics;
  }

  /** The lock meters (with mongo-lock-micrometer and a meter registry). */
  public static class Metrics {

    /**
     * Maximum number of distinct lock names the "mongo.lock" meters are tagged with. Meters of
     * further names are not registered, so that lock IDs standing in for names (a programmatic lock
     * without a name) cannot grow the meters without bound.
     */
    private int maxLockNames = 100;

    public int getMaxLockNames() {
      return maxLockNames;
    }

    public void setMaxLockNames(int maxLockNames) {
      this.maxLockNames = maxLockNames;
    }
  }

  /** How locked methods are advised. */
  public static class Aop {

    /**
     * Advice mode of locked methods: "proxy" locks calls through Spring proxies, "aspectj" every
     * execution of a method woven with MongoLockAspect.
     */
    private AdviceMode mode = AdviceMode.PROXY;

    /**
     * Order of the lock advice among other advice on a bean, in proxy mode. The default puts it
     * outside transactions.
     */
    private int order = Ordered.LOWEST_PRECEDENCE - 1;

    public AdviceMode getMode() {
      return mode;
    }

    public void setMode(AdviceMode mode) {
      this.mode = mode;
    }

    public int getOrder() {
      return order;
    }

    public void setOrder(int order) {
      this.order = order;
    }
  }
}
