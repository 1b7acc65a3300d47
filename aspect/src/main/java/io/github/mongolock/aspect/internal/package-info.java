/**
 * Internal, not an API: the plumbing behind {@link io.github.mongolock.aspect}. The Spring
 * configurations that {@code @EnableMongoLocks} imports, the proxy-mode advisor and interceptor,
 * the invoker both advice modes share (and its holder for the woven aspect), the per-method
 * metadata and lock ID templates, and the startup checks.
 *
 * <p>Applications must not name these classes: they may change or go in any release. A class here
 * is public only because the API package needs it; as this jar is an automatic module, the package
 * is exported all the same, so the name {@code internal} is what says so.
 */
package io.github.mongolock.aspect.internal;
