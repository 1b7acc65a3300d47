package io.github.mongolock.testkit.strict;

/**
 * What mongod answers to a construct it refuses.
 *
 * @param code mongod's error code
 * @param codeName mongod's code name (sent in command errors; mongod leaves it out of writeErrors)
 * @param message mongod's errmsg
 * @param index the statement of an update or delete batch the refusal belongs to (a writeError), or
 *     -1 for a command error ({@code ok: 0})
 * @param rule a short name of the rule, for reports
 */
public record Refusal(int code, String codeName, String message, int index, String rule) {

  public boolean isCommandError() {
    return index < 0;
  }

  Refusal at(int statement) {
    return new Refusal(code, codeName, message, statement, rule);
  }

  @Override
  public String toString() {
    return rule
        + ": "
        + code
        + " "
        + codeName
        + " '"
        + message
        + "'"
        + (index < 0 ? " (command error)" : " (writeError of statement " + index + ")");
  }
}
