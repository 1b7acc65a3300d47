package io.github.mongolock.bootexample;

import com.mongodb.client.MongoClient;
import io.github.mongolock.testkit.TestMongo;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot application with the starter and nothing else of mongo-lock's: the
 * auto-configuration finds the {@link MongoClient} bean, opens {@code mongo-lock.database}, and
 * makes {@link AccountService}'s {@code @WriteLocked} and {@code @ReadLocked} methods lock there.
 *
 * <p>{@link #main} runs {@link BootExample}: two such applications (two nodes with their own client
 * IDs) in one JVM, against one {@link AccountBook} that throws when a write overlaps any other
 * access. It prints a summary and fails (exit status 1) when any call overlapped or failed.
 *
 * <pre>
 * mvn -B -q -pl boot-example -am compile exec:java            # Spring Boot 3.5
 * mvn -B -q -pl boot-example -am compile exec:java -Pboot4    # Spring Boot 4.0
 * </pre>
 */
@SpringBootApplication
public class BootExampleApplication {

  /**
   * The application's MongoDB client: the strict embedded server unless {@code MONGODB_URI} is set
   * (an application would use its own, or Boot's from {@code spring.mongodb.uri}).
   *
   * @return a client, closed with the context
   */
  @Bean(destroyMethod = "close")
  MongoClient mongoClient() {
    return TestMongo.get().newClient();
  }

  /**
   * Runs the example; fails when the locks did not exclude.
   *
   * @param args {@code --unshared-locks} gives each node its own lock collection (the nodes then
   *     overlap, and the run fails: the check can fail)
   * @throws Exception when the run could not be completed
   */
  public static void main(String[] args) throws Exception {
    boolean shared = !java.util.List.of(args).contains("--unshared-locks");
    BootExample.Result result;
    try {
      result = new BootExample(2, 4, 30).run(shared);
    } finally {
      TestMongo.shutdown();
    }
    if (!result.excluded()) {
      throw new IllegalStateException("calls overlapped or failed: the locks did not exclude");
    }
  }
}
