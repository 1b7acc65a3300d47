package io.github.mongolock.testkit.strict;

import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;

/** The emulator's in-memory database, whose collections are {@link StrictCollection}s. */
final class StrictDatabase extends MemoryDatabase {

  private final StrictBackend backend;

  StrictDatabase(String databaseName, CursorRegistry cursorRegistry, StrictBackend backend) {
    // The superclass constructor opens the system collections through
    // openOrCreateCollection, before this.backend is set; those stay plain.
    super(databaseName, cursorRegistry);
    this.backend = backend;
  }

  @Override
  protected MemoryCollection openOrCreateCollection(
      String collectionName, CollectionOptions options) {
    if (backend == null || collectionName.startsWith("system.")) {
      return super.openOrCreateCollection(collectionName, options);
    }
    return new StrictCollection(this, collectionName, options, cursorRegistry, backend);
  }
}
