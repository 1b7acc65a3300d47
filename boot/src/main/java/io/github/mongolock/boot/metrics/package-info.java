/**
 * The auto-configuration of mongo-lock-java's Micrometer metrics and traces ({@link
 * io.github.mongolock.boot.metrics.MongoLockMetricsAutoConfiguration}).
 */
package io.github.mongolock.boot.metrics;
