package io.github.mongolock.boot;

import io.github.mongolock.aspect.internal.LockedMethodsException;
import java.util.stream.Collectors;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/**
 * Explains the startup failures of mongo-lock as Boot's own analyzers do (a description, then an
 * action): locked methods with no MongoDB to lock on, a {@code MongoLocks} injection point with
 * none, bad {@code mongo-lock.*} values, and locked methods whose annotations cannot work.
 */
final class MongoLockFailureAnalyzer implements FailureAnalyzer {

  @Override
  public FailureAnalysis analyze(Throwable failure) {
    MongoLockConfigurationException configuration =
        find(failure, MongoLockConfigurationException.class);
    LockedMethodsException locked = find(failure, LockedMethodsException.class);
    if (locked != null && locked.kind() == LockedMethodsException.Kind.INVALID_METHOD) {
      return new FailureAnalysis(
          "Methods annotated with @WriteLocked or @ReadLocked cannot be locked as written:\n"
              + list(locked),
          "Correct the annotations or methods named above. Each line says what is wrong; the"
              + " README of mongo-lock-java lists what a locked method may be.",
          locked);
    }
    if (locked != null && locked.kind() == LockedMethodsException.Kind.ASPECT_NOT_WOVEN) {
      return new FailureAnalysis(
          "mongo-lock.aop.mode is aspectj, but MongoLockAspect is not woven into the"
              + " application: methods annotated with @WriteLocked or @ReadLocked would run"
              + " unlocked.",
          "Run the application with -javaagent:aspectjweaver.jar and a META-INF/aop.xml that"
              + " names io.github.mongolock.aspect.MongoLockAspect (or weave at compile time), or"
              + " remove 'mongo-lock.aop.mode' to lock calls through Spring proxies.",
          locked);
    }
    if (locked != null) {
      String why =
          configuration != null
              ? configuration.description()
              : "The MongoLocks bean could not be created: " + rootMessage(locked);
      return new FailureAnalysis(
          "Methods annotated with @WriteLocked or @ReadLocked have no MongoDB to lock on, and"
              + " would otherwise run unlocked:\n"
              + list(locked)
              + "\n\n"
              + why,
          configuration != null
              ? configuration.action()
              : "Make the MongoLocks bean creatable, or define one of your own.",
          locked);
    }
    if (configuration != null) {
      return new FailureAnalysis(configuration.description(), configuration.action(), failure);
    }
    return null;
  }

  private static String list(LockedMethodsException locked) {
    return locked.problems().stream()
        .map(problem -> "\t- " + problem.replace("\n", "\n\t  "))
        .collect(Collectors.joining("\n"));
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage();
  }

  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
