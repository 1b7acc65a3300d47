package io.github.mongolock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering of core: the API package on top, then internal.engine, internal.lease and
 * internal.store, each depending only on those below it (so no cycles); and no public API signature
 * names an internal type.
 */
class PackageLayoutTest {

  private static final Path SOURCES = Path.of("src/main/java/io/github/mongolock");

  /** A reference to a type: the package path below io.github.mongolock (empty for the API). */
  private static final Pattern REFERENCE =
      Pattern.compile("io\\.github\\.mongolock\\.((?:[a-z]+\\.)*)[A-Z]");

  /** Which packages each package may refer to, besides itself. */
  private static final Map<String, Set<String>> ALLOWED =
      Map.of(
          "io.github.mongolock",
          Set.of("internal.engine", "internal.lease", "internal.store"),
          "internal.engine",
          Set.of("internal.lease", "internal.store"),
          "internal.lease",
          Set.of("internal.store"),
          "internal.store",
          Set.of());

  private static String packageOf(Path file) {
    Path dir = SOURCES.relativize(file.getParent());
    String relative = dir.toString().replace('/', '.');
    return relative.isEmpty() ? "io.github.mongolock" : relative;
  }

  @Test
  void eachPackageRefersOnlyToThePackagesBelowIt() throws IOException {
    Map<String, Set<String>> found = new TreeMap<>();
    List<String> violations = new ArrayList<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String pkg = packageOf(file);
        assertTrue(ALLOWED.containsKey(pkg), "a package the layering does not know: " + pkg);
        Matcher m = REFERENCE.matcher(Files.readString(file));
        while (m.find()) {
          String path = m.group(1);
          String target =
              path.isEmpty() ? "io.github.mongolock" : path.substring(0, path.length() - 1);
          if (target.equals(pkg)) {
            continue;
          }
          found.computeIfAbsent(pkg, k -> new TreeSet<>()).add(target);
          if (!ALLOWED.get(pkg).contains(target)) {
            violations.add(file.getFileName() + " (" + pkg + ") refers to " + target);
          }
        }
      }
    }
    assertEquals(List.of(), violations, "references found: " + found);
    assertTrue(found.get("internal.engine").contains("internal.store"), "the scan sees references");
  }

  @Test
  void noPublicApiSignatureNamesAnInternalType() throws Exception {
    List<String> leaks = new ArrayList<>();
    try (Stream<Path> files = Files.list(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String name = file.getFileName().toString().replace(".java", "");
        if (name.equals("package-info")) {
          continue;
        }
        Class<?> type = Class.forName("io.github.mongolock." + name);
        if (!Modifier.isPublic(type.getModifiers())) {
          continue;
        }
        List<Executable> members = new ArrayList<>(List.of(type.getDeclaredConstructors()));
        members.addAll(List.of(type.getDeclaredMethods()));
        for (Executable e : members) {
          if (!Modifier.isPublic(e.getModifiers()) && !Modifier.isProtected(e.getModifiers())) {
            continue;
          }
          List<Class<?>> types = new ArrayList<>(List.of(e.getParameterTypes()));
          if (e instanceof Method method) {
            types.add(method.getReturnType());
          }
          types.addAll(List.of(e.getExceptionTypes()));
          for (Class<?> t : types) {
            if (t.getName().startsWith("io.github.mongolock.internal.")) {
              leaks.add(type.getSimpleName() + "." + e.getName() + " names " + t.getName());
            }
          }
        }
        for (Field f : type.getDeclaredFields()) {
          if (Modifier.isPublic(f.getModifiers())
              && f.getType().getName().startsWith("io.github.mongolock.internal.")) {
            leaks.add(type.getSimpleName() + "." + f.getName() + " is " + f.getType().getName());
          }
        }
      }
    }
    assertEquals(List.of(), leaks);
  }

  @Test
  void theLibraryLogsThroughSlf4jOnly() throws IOException {
    List<String> others = new ArrayList<>();
    int slf4j = 0;
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String text = Files.readString(file);
        if (text.contains("System.getLogger") || text.contains("java.util.logging")) {
          others.add(file.getFileName().toString());
        }
        if (text.contains("LoggerFactory.getLogger(")) {
          slf4j++;
        }
      }
    }
    assertEquals(List.of(), others, "logs around SLF4J");
    assertTrue(slf4j > 0, "the scan sees the SLF4J loggers");
  }
}
