package io.github.mongolock.boot;

/**
 * Why the auto-configuration cannot set the locks up: a bad {@code mongo-lock.*} value, or no
 * MongoDB to lock on. Carries the description and action that {@link MongoLockFailureAnalyzer}
 * reports, in Boot's wording.
 */
final class MongoLockConfigurationException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String description;
  private final String action;

  MongoLockConfigurationException(String description, String action, Throwable cause) {
    super(description, cause);
    this.description = description;
    this.action = action;
  }

  /** A bad value of one property. */
  static MongoLockConfigurationException invalidProperty(
      String property, Object value, String reason, Throwable cause) {
    return new MongoLockConfigurationException(
        "Invalid value '" + value + "' of property '" + property + "': " + reason + ".",
        "Update the value of '" + property + "' in your application's configuration.",
        cause);
  }

  String description() {
    return description;
  }

  String action() {
    return action;
  }
}
