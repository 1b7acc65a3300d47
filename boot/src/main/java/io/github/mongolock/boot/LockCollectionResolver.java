package io.github.mongolock.boot;

import com.mongodb.ConnectionString;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.aspect.EnableMongoLocks;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.env.Environment;

/**
 * Finds the lock collection in the application's MongoDB, never opening a client of its own, in
 * this order:
 *
 * <ol>
 *   <li>the {@code MongoCollection<Document>} bean named {@value
 *       EnableMongoLocks#COLLECTION_BEAN_NAME};
 *   <li>with {@code mongo-lock.database}: that database of the single {@code MongoClient} bean,
 *       else of Spring Data's single {@code MongoDatabaseFactory};
 *   <li>Spring Data's single {@code MongoDatabaseFactory} (its default database);
 *   <li>the single {@code MongoDatabase} bean;
 *   <li>the database the application's MongoDB properties name ({@code spring.mongodb.database} or
 *       {@code .uri} in Boot 4, {@code spring.data.mongodb.database} or {@code .uri} in Boot 3.5,
 *       read by name), in the single {@code MongoClient} bean.
 * </ol>
 *
 * Where none applies it throws a {@link MongoLockConfigurationException} that says what it found.
 */
final class LockCollectionResolver {

  /** Boot 4's names first, then Boot 3.5's (which Boot 4 still reads, deprecated). */
  private static final List<String> DATABASE_PROPERTIES =
      List.of("spring.mongodb.database", "spring.data.mongodb.database");

  private static final List<String> URI_PROPERTIES =
      List.of("spring.mongodb.uri", "spring.data.mongodb.uri");

  /** Spring Data's {@code MongoDatabaseFactory}, reached without naming it here. */
  interface SpringDataDatabases {
    /** The single factory's database {@code name}, or its default for null; null if none. */
    MongoDatabase database(String name);

    /** How many factories the application has. */
    int count();
  }

  private final ListableBeanFactory beans;
  private final Environment environment;
  private final ObjectProvider<MongoClient> clients;
  private final ObjectProvider<MongoDatabase> databases;
  private final ObjectProvider<SpringDataDatabases> springData;

  LockCollectionResolver(
      ListableBeanFactory beans,
      Environment environment,
      ObjectProvider<MongoClient> clients,
      ObjectProvider<MongoDatabase> databases,
      ObjectProvider<SpringDataDatabases> springData) {
    this.beans = beans;
    this.environment = environment;
    this.clients = clients;
    this.databases = databases;
    this.springData = springData;
  }

  @SuppressWarnings("unchecked")
  MongoCollection<Document> resolve(String collection, String database) {
    if (beans.containsBean(EnableMongoLocks.COLLECTION_BEAN_NAME)) {
      return beans.getBean(EnableMongoLocks.COLLECTION_BEAN_NAME, MongoCollection.class);
    }
    MongoClient client = clients.getIfUnique();
    SpringDataDatabases factory = springData.getIfAvailable();
    if (database != null) {
      if (client != null) {
        return client.getDatabase(database).getCollection(collection);
      }
      MongoDatabase fromFactory = factory != null ? factory.database(database) : null;
      if (fromFactory != null) {
        return fromFactory.getCollection(collection);
      }
      throw notFound(
          "'mongo-lock.database' is '"
              + database
              + "', but there is no single MongoClient or MongoDatabaseFactory bean to open it"
              + " with.");
    }
    MongoDatabase fromFactory = factory != null ? factory.database(null) : null;
    if (fromFactory != null) {
      return fromFactory.getCollection(collection);
    }
    MongoDatabase single = databases.getIfUnique();
    if (single != null) {
      return single.getCollection(collection);
    }
    String named = databaseFromProperties();
    if (named != null && client != null) {
      return client.getDatabase(named).getCollection(collection);
    }
    throw notFound(
        named == null
            ? "Neither 'mongo-lock.database' nor '"
                + String.join("', '", allProperties())
                + "' names a database, and there is no MongoDatabaseFactory or single"
                + " MongoDatabase bean."
            : "The application's MongoDB properties name the database '"
                + named
                + "', but there is no single MongoClient bean to open it with.");
  }

  private static List<String> allProperties() {
    List<String> all = new ArrayList<>(DATABASE_PROPERTIES);
    all.addAll(URI_PROPERTIES);
    return all;
  }

  /** The database the first set property names; never the connection string itself. */
  private String databaseFromProperties() {
    for (String property : DATABASE_PROPERTIES) {
      String database = environment.getProperty(property);
      if (database != null && !database.isBlank()) {
        return database.trim();
      }
    }
    for (String property : URI_PROPERTIES) {
      String uri = environment.getProperty(property);
      if (uri != null && !uri.isBlank()) {
        String database;
        try {
          database = new ConnectionString(uri.trim()).getDatabase();
        } catch (IllegalArgumentException e) {
          // The driver's message may quote the string, and with it a password: leave it out.
          throw new MongoLockConfigurationException(
              "The value of '" + property + "' is not a MongoDB connection string.",
              "Correct '" + property + "', or set 'mongo-lock.database'.",
              null);
        }
        if (database != null && !database.isBlank()) {
          return database;
        }
      }
    }
    return null;
  }

  private MongoLockConfigurationException notFound(String why) {
    String found =
        "Found "
            + count(beans.getBeanNamesForType(MongoClient.class), "MongoClient")
            + ", "
            + count(beans.getBeanNamesForType(MongoDatabase.class), "MongoDatabase")
            + (springData.getIfAvailable() != null
                ? ", " + plural(springData.getIfAvailable().count(), "MongoDatabaseFactory")
                : "")
            + " and no bean named '"
            + EnableMongoLocks.COLLECTION_BEAN_NAME
            + "'.";
    return new MongoLockConfigurationException(
        "mongo-lock found no MongoDB database to hold its locks. " + why + " " + found,
        "Consider defining a single MongoClient bean (for example with"
            + " spring-boot-starter-data-mongodb and 'spring.mongodb.uri' in Boot 4,"
            + " 'spring.data.mongodb.uri' in Boot 3.5) and setting 'mongo-lock.database', or"
            + " defining a MongoCollection<Document> bean named '"
            + EnableMongoLocks.COLLECTION_BEAN_NAME
            + "'. Set 'mongo-lock.enabled=false' only if no method is to be locked: then"
            + " @WriteLocked and @ReadLocked methods run unlocked.",
        null);
  }

  private static String count(String[] names, String type) {
    return names.length == 0
        ? "no " + type + " bean"
        : plural(names.length, type) + " (" + String.join(", ", names) + ")";
  }

  private static String plural(int count, String type) {
    return count + " " + type + (count == 1 ? " bean" : " beans");
  }
}
