package io.github.mongolock;

/** The two ways to hold a {@link RWMutex}. */
public enum LockMode {
  /** Shared: any number of clients may read at once, while nobody writes. */
  READ,
  /** Exclusive: one client writes, nobody reads. */
  WRITE
}
