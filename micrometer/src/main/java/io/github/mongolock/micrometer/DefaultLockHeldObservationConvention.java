package io.github.mongolock.micrometer;

import io.micrometer.common.KeyValues;

/**
 * The default names and keys of a hold observation: {@value #NAME}, tagged {@code lock.name},
 * {@code mode} and (once the hold is over) {@code outcome}; {@code lock.id}, {@code client.id} and
 * {@code lock.collection} as high-cardinality keys. Extend it to add or change keys.
 */
public class DefaultLockHeldObservationConvention implements LockHeldObservationConvention {

  /** The observation's (and its timer's) name. */
  public static final String NAME = "mongo.lock.held";

  /** A shared instance. */
  public static final DefaultLockHeldObservationConvention INSTANCE =
      new DefaultLockHeldObservationConvention();

  /** A default convention. */
  public DefaultLockHeldObservationConvention() {}

  @Override
  public String getName() {
    return NAME;
  }

  /** The span name: {@code hold <lock name>}, low-cardinality like the name. */
  @Override
  public String getContextualName(LockHeldContext context) {
    return "hold " + context.getLock().lockName();
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(LockHeldContext context) {
    KeyValues keys = DefaultLockAcquireObservationConvention.lockKeys(context.getLock());
    // absent while held, so that the long task timer of current holds has one tag set
    return context.getEnd() == null
        ? keys
        : keys.and(
            MongoLockObservationDocumentation.LowCardinalityKeys.OUTCOME.withValue(
                context.getEnd().tag()));
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(LockHeldContext context) {
    return DefaultLockAcquireObservationConvention.idKeys(context.getLock());
  }
}
