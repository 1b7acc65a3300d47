package io.github.mongolock.aspect;

import com.mongodb.client.MongoDatabase;
import java.util.Map;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.core.env.MapPropertySource;

/** Starts application contexts on the test class's database. */
final class TestContexts {

  private TestContexts() {}

  static AnnotationConfigApplicationContext start(MongoDatabase database, Class<?>... config) {
    return start(database, Map.of(), config);
  }

  static AnnotationConfigApplicationContext start(
      MongoDatabase database, Map<String, Object> properties, Class<?>... config) {
    AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
    context
        .getEnvironment()
        .getPropertySources()
        .addFirst(new MapPropertySource("test", properties));
    if (database != null) {
      context.registerBean("mongoDatabase", MongoDatabase.class, () -> database);
    }
    context.register(config);
    context.refresh();
    return context;
  }
}
