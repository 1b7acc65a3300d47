package io.github.mongolock.boot;

import com.mongodb.ReadConcern;
import com.mongodb.ReadConcernLevel;
import com.mongodb.WriteConcern;
import io.github.mongolock.RWMutexOptions;
import io.github.mongolock.aspect.ClientIdProvider;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@link MongoLockProperties} checked and turned into what {@code MongoLocks} takes. Made when
 * the context starts (not when the first lock is taken), so that a bad value fails the startup with
 * a message naming the property.
 *
 * @param waitTimeout the default wait
 * @param options the options of every mutex, with the default lease
 * @param collection the lock collection's name
 * @param database the database of the lock collection, or null for the application's
 * @param clientId the configured client ID, or null for {@link ClientIdProvider#perProcess()}
 */
record MongoLockSettings(
    Duration waitTimeout,
    RWMutexOptions options,
    String collection,
    String database,
    String clientId) {

  static final String PREFIX = "mongo-lock.";

  /** The core's names of its settings, as its messages give them, and their properties. */
  private static final Map<String, String> PROPERTY_OF_SETTING = new LinkedHashMap<>();

  static {
    PROPERTY_OF_SETTING.put("minSleepTime", "min-sleep-time");
    PROPERTY_OF_SETTING.put("sleepTime", "sleep-time");
    PROPERTY_OF_SETTING.put("writerWaitingTtl", "writer-waiting-ttl");
    PROPERTY_OF_SETTING.put("renewInterval", "renew-interval");
    PROPERTY_OF_SETTING.put("leaseTime", "lease-time");
    PROPERTY_OF_SETTING.put("commandTimeout", "command-timeout");
  }

  static MongoLockSettings of(MongoLockProperties properties) {
    String collection = requireText("collection", properties.getCollection(), false);
    String database = requireText("database", properties.getDatabase(), true);
    String clientId = requireText("client-id", properties.getClientId(), true);
    Duration wait = require("wait-timeout", properties.getWaitTimeout());
    if (wait.isNegative()) {
      throw MongoLockConfigurationException.invalidProperty(
          PREFIX + "wait-timeout", wait, "a wait must not be negative (0 makes one attempt)", null);
    }
    RWMutexOptions.Builder builder =
        RWMutexOptions.builder()
            .leaseTime(require("lease-time", properties.getLeaseTime()))
            .renewInterval(properties.getRenewInterval())
            .commandTimeout(require("command-timeout", properties.getCommandTimeout()))
            .writeConcern(writeConcern(properties.getWriteConcern()))
            .readConcern(readConcern(properties.getReadConcern()))
            .ensureIndex(properties.isEnsureIndex())
            .changeStreams(properties.isChangeStreams())
            .minSleepTime(require("min-sleep-time", properties.getMinSleepTime()))
            .sleepTime(require("sleep-time", properties.getSleepTime()))
            .writerPreference(properties.isWriterPreference())
            .writerWaitingTtl(require("writer-waiting-ttl", properties.getWriterWaitingTtl()));
    // The builder raises minSleepTime to a shorter sleepTime; set it again so that the check of
    // the two against each other sees what was configured.
    builder.minSleepTime(properties.getMinSleepTime());
    RWMutexOptions options;
    try {
      options = builder.build();
    } catch (IllegalArgumentException e) {
      throw invalidOptions(e, properties);
    }
    return new MongoLockSettings(wait, options, collection, database, clientId);
  }

  /**
   * The core names its settings in its messages ("renewInterval (PT40S) must be shorter than
   * leaseTime (PT30S)"): name the properties instead, and report the first one's value.
   */
  private static MongoLockConfigurationException invalidOptions(
      IllegalArgumentException e, MongoLockProperties properties) {
    String message = e.getMessage();
    String first = null;
    int firstAt = Integer.MAX_VALUE;
    String named = message;
    for (Map.Entry<String, String> setting : PROPERTY_OF_SETTING.entrySet()) {
      Pattern name = Pattern.compile("\\b" + setting.getKey() + "\\b");
      Matcher at = name.matcher(message);
      if (at.find() && at.start() < firstAt) {
        firstAt = at.start();
        first = setting.getValue();
      }
      named = name.matcher(named).replaceAll(PREFIX + setting.getValue());
    }
    String property = PREFIX + (first != null ? first : "lease-time");
    return MongoLockConfigurationException.invalidProperty(
        property, valueOf(first, properties), named, e);
  }

  private static Object valueOf(String property, MongoLockProperties p) {
    if (property == null) {
      return p.getLeaseTime();
    }
    return switch (property) {
      case "min-sleep-time" -> p.getMinSleepTime();
      case "sleep-time" -> p.getSleepTime();
      case "writer-waiting-ttl" -> p.getWriterWaitingTtl();
      case "renew-interval" -> p.getRenewInterval();
      case "command-timeout" -> p.getCommandTimeout();
      default -> p.getLeaseTime();
    };
  }

  private static <T> T require(String property, T value) {
    if (value == null) {
      throw MongoLockConfigurationException.invalidProperty(
          PREFIX + property, "", "it must be set (remove it to use the default)", null);
    }
    return value;
  }

  private static String requireText(String property, String value, boolean optional) {
    if (value == null && optional) {
      return null;
    }
    if (value == null || value.isBlank()) {
      throw MongoLockConfigurationException.invalidProperty(
          PREFIX + property, value == null ? "" : value, "it must not be blank", null);
    }
    return value.trim();
  }

  /**
   * "majority", a number of members ("1", "w1", "2", ...), or one of the driver's named concerns
   * ("acknowledged", "journaled", "w2", ...). Unacknowledged writes ("0", "w0", "unacknowledged")
   * are refused: a lock cannot know whether its acquire was applied.
   */
  static WriteConcern writeConcern(String text) {
    String property = PREFIX + "write-concern";
    if (text == null || text.isBlank()) {
      throw MongoLockConfigurationException.invalidProperty(
          property, text == null ? "" : text, "it must not be blank", null);
    }
    String value = text.trim().toLowerCase(Locale.ROOT);
    WriteConcern concern;
    if (value.equals("majority")) {
      concern = WriteConcern.MAJORITY;
    } else if (value.matches("w?\\d{1,2}")) {
      concern = new WriteConcern(Integer.parseInt(value.replace("w", "")));
    } else {
      concern = WriteConcern.valueOf(value.toUpperCase(Locale.ROOT));
      if (concern == null) {
        throw MongoLockConfigurationException.invalidProperty(
            property,
            text,
            "not a write concern: use majority, a number of members such as 1 or w1, or"
                + " journaled",
            null);
      }
    }
    if (!concern.isAcknowledged()) {
      throw MongoLockConfigurationException.invalidProperty(
          property,
          text,
          "unacknowledged writes cannot hold a lock (the process could not know whether it"
              + " acquired it): use majority or at least 1",
          null);
    }
    return concern;
  }

  /** "majority", "local", "linearizable", "available" or "snapshot". */
  static ReadConcern readConcern(String text) {
    String property = PREFIX + "read-concern";
    if (text == null || text.isBlank()) {
      throw MongoLockConfigurationException.invalidProperty(
          property, text == null ? "" : text, "it must not be blank", null);
    }
    try {
      return new ReadConcern(ReadConcernLevel.fromString(text.trim().toLowerCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      throw MongoLockConfigurationException.invalidProperty(
          property,
          text,
          "not a read concern: use majority, local, linearizable, available or snapshot",
          e);
    }
  }

  /** The configured client ID, else the per-process default. */
  ClientIdProvider clientIdProvider() {
    if (clientId == null) {
      return ClientIdProvider.perProcess();
    }
    String id = clientId;
    return new ClientIdProvider() {
      @Override
      public String clientId() {
        return id;
      }

      @Override
      public String toString() {
        return PREFIX + "client-id=" + id;
      }
    };
  }
}
