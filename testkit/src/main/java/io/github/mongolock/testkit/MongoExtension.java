package io.github.mongolock.testkit;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test class its own database on the JVM's {@link TestMongo} and prints which server the
 * class ran on. Test methods and constructors may declare a {@link MongoDatabase} or {@link
 * TestMongo} parameter. The class's client records the shape of every command sent through it
 * ({@link CommandShapes}); after the class, a command that a mongod would refuse fails it, on any
 * server (on a real mongod the server would have refused it already).
 */
public final class MongoExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(MongoExtension.class);

  private record ClassDatabase(MongoClient client, MongoDatabase database, CommandShapes shapes) {}

  @Override
  public void beforeAll(ExtensionContext context) {
    TestMongo mongo = TestMongo.get();
    System.out.println(
        "[mongo-lock] "
            + context.getRequiredTestClass().getSimpleName()
            + " runs on "
            + mongo.description());
    // every command the class's tests send through this client is checked against mongod's rules
    CommandShapes shapes = mongo.isStrict() ? CommandShapes.forStandalone() : new CommandShapes();
    MongoClient client = mongo.newClient(shapes);
    String name =
        "t" + DATABASES.incrementAndGet() + "_" + context.getRequiredTestClass().getSimpleName();
    MongoDatabase database = client.getDatabase(name.length() > 60 ? name.substring(0, 60) : name);
    database.drop();
    context.getStore(NS).put(ClassDatabase.class, new ClassDatabase(client, database, shapes));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    ClassDatabase db = context.getStore(NS).remove(ClassDatabase.class, ClassDatabase.class);
    if (db != null) {
      try {
        db.database().drop();
      } finally {
        db.client().close();
      }
      db.shapes().assertNoViolations();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == MongoDatabase.class || type == TestMongo.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.getParameter().getType() == TestMongo.class) {
      return TestMongo.get();
    }
    ClassDatabase db = context.getRoot().getStore(NS).get(ClassDatabase.class, ClassDatabase.class);
    ExtensionContext c = context;
    while (db == null && c != null) {
      db = c.getStore(NS).get(ClassDatabase.class, ClassDatabase.class);
      c = c.getParent().orElse(null);
    }
    if (db == null) {
      throw new IllegalStateException(
          "MongoExtension: no database for " + context.getDisplayName());
    }
    return db.database();
  }
}
