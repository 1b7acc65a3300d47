package io.github.mongolock;

import static io.github.mongolock.LockTestSupport.fast;

import org.junit.jupiter.api.Nested;

/** The {@link RWMutexContract} for each configuration that changes how the lock is acquired. */
class RWMutexContractTest {

  /** The defaults (writer preference on, polling only), with fast polling. */
  @Nested
  class Defaults extends RWMutexContract {
    @Override
    RWMutexOptions options() {
      return fast();
    }
  }

  /** Without writer preference the read acquire carries no writer-waiting condition. */
  @Nested
  class WithoutWriterPreference extends RWMutexContract {
    @Override
    RWMutexOptions options() {
      return fast().toBuilder().writerPreference(false).build();
    }
  }

  /** Polling at the defaults' pace: the acquire's chores run at their real cadence. */
  @Nested
  class DefaultPolling extends RWMutexContract {
    @Override
    RWMutexOptions options() {
      return RWMutexOptions.defaults();
    }
  }
}
