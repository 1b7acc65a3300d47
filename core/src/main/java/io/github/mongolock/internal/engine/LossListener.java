package io.github.mongolock.internal.engine;

/** Told when a client's MongoDB hold of a lock is lost (the API adapts its LockLostListener). */
@FunctionalInterface
public interface LossListener {
  void lockLost(String lockID, String clientID, ModeRule mode);
}
