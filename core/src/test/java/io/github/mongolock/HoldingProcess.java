package io.github.mongolock;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import java.time.Duration;

/**
 * A separate JVM that takes the write lock and holds it until it is killed; started by {@link
 * KillNineTakeoverTest}. Arguments: uri database collection lockID clientID leaseMillis
 * renewMillis. Prints {@code held} once the lock is held.
 */
public final class HoldingProcess {

  private HoldingProcess() {}

  public static void main(String[] args) throws Exception {
    MongoClient client = MongoClients.create(args[0]);
    RWMutexOptions options =
        RWMutexOptions.builder()
            .leaseTime(Duration.ofMillis(Long.parseLong(args[5])))
            .renewInterval(Duration.ofMillis(Long.parseLong(args[6])))
            .build();
    RWMutex mutex =
        new RWMutex(client.getDatabase(args[1]).getCollection(args[2]), args[3], args[4], options);
    mutex.lock();
    System.out.println("held");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
