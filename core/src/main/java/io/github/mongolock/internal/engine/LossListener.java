package io.github.mongolock.internal.engine;

/** Told when a client's MongoDB hold of a lock is lost (the API adapts its listeners). */
@FunctionalInterface
public interface LossListener {
  /**
   * One mode of a client's hold was lost.
   *
   * @param lockID the lock
   * @param clientID the client that held it
   * @param mode the mode lost (a client that had downgraded is told once per mode)
   * @param reason why, in words
   */
  void lockLost(String lockID, String clientID, ModeRule mode, String reason);
}
