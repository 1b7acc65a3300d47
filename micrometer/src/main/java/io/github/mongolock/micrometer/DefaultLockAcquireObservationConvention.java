package io.github.mongolock.micrometer;

import io.github.mongolock.LockEvent;
import io.github.mongolock.micrometer.MongoLockObservationDocumentation.HighCardinalityKeys;
import io.github.mongolock.micrometer.MongoLockObservationDocumentation.LowCardinalityKeys;
import io.micrometer.common.KeyValues;
import java.util.Locale;

/**
 * The default names and keys of an acquire observation: {@value #NAME}, tagged {@code lock.name},
 * {@code mode} and (once the call is over) {@code outcome}; {@code lock.id}, {@code client.id} and
 * {@code lock.collection} as high-cardinality keys. Extend it to add or change keys.
 */
public class DefaultLockAcquireObservationConvention implements LockAcquireObservationConvention {

  /** The observation's (and its timer's) name. */
  public static final String NAME = "mongo.lock.acquire";

  /** A shared instance. */
  public static final DefaultLockAcquireObservationConvention INSTANCE =
      new DefaultLockAcquireObservationConvention();

  /** A default convention. */
  public DefaultLockAcquireObservationConvention() {}

  @Override
  public String getName() {
    return NAME;
  }

  /** The span name: {@code acquire <lock name>}, low-cardinality like the name. */
  @Override
  public String getContextualName(LockAcquireContext context) {
    return "acquire " + context.getLock().lockName();
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(LockAcquireContext context) {
    KeyValues keys = lockKeys(context.getLock());
    // absent while the call waits, so that the long task timer of waiting calls has one tag set
    return context.getOutcome() == null
        ? keys
        : keys.and(LowCardinalityKeys.OUTCOME.withValue(context.getOutcome().tag()));
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(LockAcquireContext context) {
    return idKeys(context.getLock());
  }

  static KeyValues lockKeys(LockEvent lock) {
    return KeyValues.of(
        LowCardinalityKeys.LOCK_NAME.withValue(lock.lockName()),
        LowCardinalityKeys.MODE.withValue(lock.mode().name().toLowerCase(Locale.ROOT)));
  }

  static KeyValues idKeys(LockEvent lock) {
    return KeyValues.of(
        HighCardinalityKeys.LOCK_ID.withValue(lock.lockID()),
        HighCardinalityKeys.CLIENT_ID.withValue(lock.clientID()),
        HighCardinalityKeys.COLLECTION.withValue(lock.collection()));
  }
}
