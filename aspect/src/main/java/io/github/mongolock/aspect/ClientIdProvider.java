package io.github.mongolock.aspect;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Supplies the client ID under which this application holds locks: the value stored as the lock's
 * {@code writer} or among its {@code readers}. Declare one bean of this type; it is asked on every
 * locked call, so it may depend on the call's context, but it must not return {@code null} or a
 * blank string.
 *
 * <pre>{@code
 * @Bean
 * ClientIdProvider clientIdProvider(@Value("${node.name}") String node) {
 *   return () -> node;
 * }
 * }</pre>
 *
 * <p>Without such a bean, {@link #perProcess()} is used. Threads of one JVM exclude each other
 * whatever the client ID, so one ID for the whole process is enough; distinct processes need
 * distinct IDs.
 */
@FunctionalInterface
public interface ClientIdProvider {

  /**
   * The client ID for the current call.
   *
   * @return the ID, never null or blank
   */
  String clientId();

  /**
   * The default: one ID for the life of this process, {@code <host>:<pid>:<random>}, for example
   * {@code "web-7f9c:1:3fa85f64"}. The random part keeps two containers that both run as pid 1 on
   * equally named hosts apart.
   *
   * @return the same provider on every call; its ID is made on the first
   */
  static ClientIdProvider perProcess() {
    return DefaultClientId.PROVIDER;
  }
}

final class DefaultClientId {

  static final ClientIdProvider PROVIDER = new Fixed(create());

  private DefaultClientId() {}

  private record Fixed(String clientId) implements ClientIdProvider {}

  private static String create() {
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    return host() + ":" + ProcessHandle.current().pid() + ":" + HexFormat.of().formatHex(random);
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception unknown) {
      // Fall back to the JVM's own name ("pid@host" on HotSpot) rather than fail startup.
      return ManagementFactory.getRuntimeMXBean().getName();
    }
  }
}
