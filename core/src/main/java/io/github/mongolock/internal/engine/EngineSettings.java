package io.github.mongolock.internal.engine;

import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import java.time.Duration;
import java.time.Instant;

/**
 * What the engine needs of a mutex's options (the API's {@code RWMutexOptions}, validated there).
 *
 * @param expiresAt the seed's absolute expiry, or null
 * @param commandTimeout the longest one command may take where no shorter bound applies
 */
public record EngineSettings(
    Duration sleepTime,
    Duration minSleepTime,
    Instant expiresAt,
    boolean writerPreference,
    Duration writerWaitingTtl,
    boolean ensureIndex,
    Duration leaseTime,
    Duration renewInterval,
    Duration commandTimeout,
    WriteConcern writeConcern,
    ReadConcern readConcern,
    boolean changeStreams) {}
