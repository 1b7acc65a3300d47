package io.github.mongolock.benchmarks;

import java.util.List;

/** The Markdown report of one run. */
final class Report {

  private final StringBuilder text = new StringBuilder();

  Report heading(int level, String title) {
    text.append("#".repeat(level)).append(' ').append(title).append("\n\n");
    return this;
  }

  Report paragraph(String paragraph) {
    text.append(paragraph).append("\n\n");
    return this;
  }

  Report table(List<String> header, List<List<String>> rows) {
    text.append("| ").append(String.join(" | ", header)).append(" |\n");
    text.append("|").append(" --- |".repeat(header.size())).append("\n");
    for (List<String> row : rows) {
      text.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    text.append("\n");
    return this;
  }

  @Override
  public String toString() {
    return text.toString();
  }
}
