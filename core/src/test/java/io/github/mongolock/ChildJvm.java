package io.github.mongolock;

import java.io.BufferedReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Starting a test's child JVM, and reading what it prints. */
final class ChildJvm {

  private ChildJvm() {}

  /**
   * A process builder for {@code main} in a JVM like this one (same {@code java}, same class path),
   * started with {@code jvmOptions} and given {@code args}.
   */
  static ProcessBuilder builder(List<String> jvmOptions, Class<?> main, List<String> args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(args);
    return new ProcessBuilder(command);
  }

  /**
   * The child's next line that {@code wanted} accepts, or null if its output ends first; the lines
   * before it are printed. Throws {@link java.util.concurrent.TimeoutException} after {@code
   * timeout}.
   */
  static String nextLine(BufferedReader out, Predicate<String> wanted, Duration timeout)
      throws Exception {
    CompletableFuture<String> line =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                String l;
                while ((l = out.readLine()) != null) {
                  if (wanted.test(l)) {
                    return l;
                  }
                  System.out.println("[child] " + l);
                }
                return null;
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    return line.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
