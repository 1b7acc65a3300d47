package io.github.mongolock.aspect.internal;

import java.util.List;
import org.springframework.beans.factory.BeanCreationException;

/**
 * Internal, not an API: why locked methods cannot work, found when the context starts. Public so
 * that the Spring Boot failure analyzer can recognise it; its message is the whole story either
 * way.
 */
public final class LockedMethodsException extends BeanCreationException {

  private static final long serialVersionUID = 1L;

  /** What is wrong. */
  public enum Kind {
    /** A locked method's annotation cannot work (its template, wait, lease, proxy, ...). */
    INVALID_METHOD,
    /** Locked methods exist, but the {@code MongoLocks} bean they lock through cannot be made. */
    NO_MONGO_LOCKS,
    /** AspectJ mode, but {@code MongoLockAspect} is not woven in. */
    ASPECT_NOT_WOVEN
  }

  private final transient Kind kind;
  private final transient List<String> problems;

  private LockedMethodsException(
      String beanName, String message, Kind kind, List<String> problems, Throwable cause) {
    super(beanName, message, cause);
    this.kind = kind;
    this.problems = List.copyOf(problems);
  }

  static LockedMethodsException invalid(String beanName, List<String> problems) {
    return new LockedMethodsException(
        beanName, String.join("\n", problems), Kind.INVALID_METHOD, problems, null);
  }

  static LockedMethodsException noMongoLocks(
      String beanName, List<String> lockedMethods, int count, RuntimeException cause) {
    String message =
        "cannot lock "
            + String.join(", ", lockedMethods)
            + (count > lockedMethods.size()
                ? " and " + (count - lockedMethods.size()) + " more locked methods"
                : "")
            + ": refusing to start rather than run them unlocked, because the MongoLocks bean"
            + " could not be created: "
            + cause.getMessage();
    return new LockedMethodsException(beanName, message, Kind.NO_MONGO_LOCKS, lockedMethods, cause);
  }

  static LockedMethodsException notWoven(String beanName, String message, Throwable cause) {
    return new LockedMethodsException(
        beanName, message, Kind.ASPECT_NOT_WOVEN, List.of(message), cause);
  }

  /**
   * What is wrong.
   *
   * @return the kind of problem
   */
  public Kind kind() {
    return kind;
  }

  /**
   * One line per invalid method ({@link Kind#INVALID_METHOD}), the first locked methods found
   * ({@link Kind#NO_MONGO_LOCKS}), each naming its method, or the message ({@link
   * Kind#ASPECT_NOT_WOVEN}).
   *
   * @return the problems or methods
   */
  public List<String> problems() {
    return problems;
  }
}
