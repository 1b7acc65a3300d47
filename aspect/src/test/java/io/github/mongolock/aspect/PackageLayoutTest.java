package io.github.mongolock.aspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.mongolock.aspect.internal.MongoLocksConfigurationSelector;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What users type is this package; the plumbing is in {@code internal}. The API's public signatures
 * name no internal type, and internal types are public only where the API package needs them.
 */
class PackageLayoutTest {

  private static final String INTERNAL = "io.github.mongolock.aspect.internal.";

  @Test
  void theApiPackageHoldsWhatUsersType() throws Exception {
    assertEquals(
        Set.of(
            "ClientIdProvider",
            "EnableMongoLocks",
            "MongoLockAspect",
            "MongoLocks",
            "ReadLocked",
            "WriteLocked"),
        publicTopLevelClasses(MongoLocks.class));
  }

  @Test
  void internalTypesArePublicOnlyWhereTheApiPackageNeedsThem() throws Exception {
    // the selector: @EnableMongoLocks imports it; AspectJInvoker: MongoLockAspect delegates to it;
    // LockedBody and MongoLocksAccess: MongoLocks registers its locking path for the annotations;
    // MongoLocksInfrastructure and LockedMethodsException: the Spring Boot auto-configuration
    // imports the same infrastructure and analyzes its startup failures.
    assertEquals(
        Set.of(
            "AspectJInvoker",
            "LockedBody",
            "LockedMethodsException",
            "MongoLocksAccess",
            "MongoLocksConfigurationSelector",
            "MongoLocksInfrastructure"),
        publicTopLevelClasses(MongoLocksConfigurationSelector.class));
  }

  @Test
  void noPublicSignatureOfTheApiNamesAnInternalType() {
    List<String> leaks = new ArrayList<>();
    for (Class<?> api :
        List.of(
            ClientIdProvider.class,
            EnableMongoLocks.class,
            MongoLockAspect.class,
            MongoLocks.class,
            ReadLocked.class,
            WriteLocked.class)) {
      check(api.getName() + " extends", api.getGenericSuperclass(), leaks);
      for (Type type : api.getGenericInterfaces()) {
        check(api.getName() + " implements", type, leaks);
      }
      for (Constructor<?> constructor : api.getDeclaredConstructors()) {
        if (visible(constructor.getModifiers())) {
          checkAll(constructor.toGenericString(), constructor.getGenericParameterTypes(), leaks);
          checkAll(constructor.toGenericString(), constructor.getGenericExceptionTypes(), leaks);
        }
      }
      for (Method method : api.getDeclaredMethods()) {
        if (visible(method.getModifiers())) {
          check(method.toGenericString(), method.getGenericReturnType(), leaks);
          checkAll(method.toGenericString(), method.getGenericParameterTypes(), leaks);
          checkAll(method.toGenericString(), method.getGenericExceptionTypes(), leaks);
        }
      }
      for (Field field : api.getDeclaredFields()) {
        if (visible(field.getModifiers())) {
          check(field.toGenericString(), field.getGenericType(), leaks);
        }
      }
    }
    assertTrue(leaks.isEmpty(), String.join("\n", leaks));
  }

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  private static void checkAll(String where, Type[] types, List<String> leaks) {
    for (Type type : types) {
      check(where, type, leaks);
    }
  }

  private static void check(String where, Type type, List<String> leaks) {
    // A generic type's name lists its arguments, so List<internal.X> is caught too.
    if (type != null && type.getTypeName().contains(INTERNAL)) {
      leaks.add(where + ": " + type.getTypeName());
    }
  }

  /** The public top-level classes compiled into {@code member}'s package directory. */
  private static Set<String> publicTopLevelClasses(Class<?> member)
      throws IOException, URISyntaxException, ClassNotFoundException {
    Path directory =
        Path.of(member.getResource(member.getSimpleName() + ".class").toURI()).getParent();
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (name.endsWith(".class") && !name.contains("$") && !name.equals("package-info.class")) {
          String simple = name.substring(0, name.length() - ".class".length());
          Class<?> type =
              Class.forName(member.getPackageName() + "." + simple, false, member.getClassLoader());
          if (Modifier.isPublic(type.getModifiers())) {
            names.add(simple);
          }
        }
      }
    }
    return names;
  }
}
