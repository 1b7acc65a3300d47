package io.github.mongolock.examples;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.github.mongolock.aspect.ClientIdProvider;
import io.github.mongolock.aspect.EnableMongoLocks;
import io.github.mongolock.aspect.MongoLocks;
import io.github.mongolock.testkit.TestMongo;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One simulated node: its own MongoClient and client ID ({@code node.name}), the annotated {@link
 * StockService} and the programmatic {@link TransferService}.
 */
@Configuration
@EnableMongoLocks(collection = "${example.lock-collection:locks}", waitTimeout = "30s")
public class NodeConfig {

  @Bean(destroyMethod = "close")
  MongoClient mongoClient() {
    return TestMongo.get().newClient();
  }

  @Bean
  MongoDatabase database(MongoClient client, @Value("${example.database}") String name) {
    return client.getDatabase(name);
  }

  @Bean
  ClientIdProvider clientIdProvider(@Value("${node.name}") String node) {
    return () -> node;
  }

  @Bean
  StockService stockService(Shelf shelf) {
    return new StockService(shelf);
  }

  @Bean
  TransferService transferService(MongoLocks locks, Shelf shelf) {
    return new TransferService(locks, shelf);
  }
}
