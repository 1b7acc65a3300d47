package io.github.mongolock.testkit.strict;

import java.time.Duration;

/**
 * What an upsert that matched nothing does between its match and its insert, with the collection
 * unlocked. mongod does not serialise a collection: two upserts of a missing document can both
 * match nothing and both insert, and the loser gets duplicate key 11000 (or mongod's own retry, see
 * {@link StrictCollection}). The emulator runs each collection's writes one at a time, so that race
 * never happens there unless a window is opened. Off by default.
 */
@FunctionalInterface
public interface UpsertWindow {

  /** System property that opens a {@link #sleep} window of that many milliseconds. */
  String PROPERTY = "mongolock.strict.upsertWindowMillis";

  void pause() throws InterruptedException;

  static UpsertWindow sleep(Duration duration) {
    return () -> Thread.sleep(duration.toMillis());
  }

  /** The window the system property asks for, or null. */
  static UpsertWindow fromSystemProperty() {
    String millis = System.getProperty(PROPERTY);
    if (millis == null || millis.isBlank() || Long.parseLong(millis.trim()) <= 0) {
      return null;
    }
    return sleep(Duration.ofMillis(Long.parseLong(millis.trim())));
  }
}
