package io.github.mongolock.micrometer;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observations {@link MicrometerLockListener} makes, and their keys. With Micrometer's {@code
 * DefaultMeterObservationHandler} (Spring Boot registers one) each becomes a timer of its name and
 * a long task timer of its name plus {@code .active}, tagged with the low-cardinality keys; a
 * tracing handler makes each a span that carries the high-cardinality keys too.
 */
public enum MongoLockObservationDocumentation implements ObservationDocumentation {

  /**
   * One acquire call, from its start to its outcome ({@code mongo.lock.acquire}). The observation
   * is in scope on the acquiring thread while it waits, so the MongoDB commands of the acquire nest
   * under it. The {@link LowCardinalityKeys#OUTCOME outcome} key is added when the call ends; an
   * acquire that fails with an error ({@code outcome=error}) records that error.
   */
  ACQUIRE {
    @Override
    public Class<? extends ObservationConvention<? extends Observation.Context>>
        getDefaultConvention() {
      return DefaultLockAcquireObservationConvention.class;
    }

    @Override
    public KeyName[] getLowCardinalityKeyNames() {
      return LowCardinalityKeys.values();
    }

    @Override
    public KeyName[] getHighCardinalityKeyNames() {
      return HighCardinalityKeys.values();
    }
  },

  /**
   * One hold, from the acquire that granted it to its unlock ({@code mongo.lock.held}). The {@link
   * LowCardinalityKeys#OUTCOME outcome} key is added when the hold ends; a hold that ends lost or
   * whose release fails records the exception its unlock threw as the error.
   */
  HELD {
    @Override
    public Class<? extends ObservationConvention<? extends Observation.Context>>
        getDefaultConvention() {
      return DefaultLockHeldObservationConvention.class;
    }

    @Override
    public KeyName[] getLowCardinalityKeyNames() {
      return LowCardinalityKeys.values();
    }

    @Override
    public KeyName[] getHighCardinalityKeyNames() {
      return HighCardinalityKeys.values();
    }
  };

  /** Keys with few values, safe as meter tags. */
  public enum LowCardinalityKeys implements KeyName {

    /**
     * The lock's low-cardinality name: the mutex's {@code name} option or an annotation's lock ID
     * template as written, else the lock ID.
     */
    LOCK_NAME {
      @Override
      public String asString() {
        return "lock.name";
      }
    },

    /** {@code read} or {@code write}. */
    MODE {
      @Override
      public String asString() {
        return "mode";
      }
    },

    /**
     * How it ended, present once it has: for an acquire {@code acquired}, {@code timeout}, {@code
     * interrupted}, {@code upgrade} or {@code error}; for a hold {@code released}, {@code lost} or
     * {@code release_failed}.
     */
    OUTCOME {
      @Override
      public String asString() {
        return "outcome";
      }
    }
  }

  /** Keys with many values: on spans, never on meters. */
  public enum HighCardinalityKeys implements KeyName {

    /** The lock ID. */
    LOCK_ID {
      @Override
      public String asString() {
        return "lock.id";
      }
    },

    /** The client that asks or holds. */
    CLIENT_ID {
      @Override
      public String asString() {
        return "client.id";
      }
    },

    /** The lock collection's namespace, {@code database.collection}. */
    COLLECTION {
      @Override
      public String asString() {
        return "lock.collection";
      }
    }
  }
}
