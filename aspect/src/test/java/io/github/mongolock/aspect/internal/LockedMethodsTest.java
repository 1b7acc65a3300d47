package io.github.mongolock.aspect.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.mongolock.LockMode;
import io.github.mongolock.aspect.ReadLocked;
import io.github.mongolock.aspect.WriteLocked;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** The metadata cache and templates, without Spring or MongoDB. */
class LockedMethodsTest {

  interface Orders {
    void ship(String id, int quantity);

    void plain();
  }

  static class OrderService implements Orders {
    @Override
    @WriteLocked(
        value = "order-#{#id}-#{#quantity > 10 ? 'bulk' : 'small'}",
        waitTimeout = "${wait}")
    public void ship(String id, int quantity) {}

    @Override
    public void plain() {}

    @ReadLocked("catalog")
    public void browse() {}
  }

  private final LockedMethods lockedMethods = new LockedMethods(environment(), null);

  private static StandardEnvironment environment() {
    StandardEnvironment environment = new StandardEnvironment();
    environment
        .getPropertySources()
        .addFirst(new MapPropertySource("test", Map.of("wait", "750ms")));
    return environment;
  }

  @Test
  void eachMethodIsParsedOnceAndCached() throws Exception {
    Method ship = OrderService.class.getMethod("ship", String.class, int.class);
    LockedMethod first = lockedMethods.get(ship, OrderService.class);
    assertSame(first, lockedMethods.get(ship, OrderService.class));
    assertEquals(LockMode.WRITE, first.mode());
    assertEquals(Duration.ofMillis(750), first.waitTimeout());
    // the name listeners and metrics see: the template, not the IDs its calls evaluate to
    assertEquals("order-#{#id}-#{#quantity > 10 ? 'bulk' : 'small'}", first.name());
  }

  @Test
  void theInterfaceMethodOfAProxyCallFindsTheImplementationsAnnotation() throws Exception {
    Method viaInterface = Orders.class.getMethod("ship", String.class, int.class);
    LockedMethod locked = lockedMethods.get(viaInterface, OrderService.class);
    assertEquals("order-A7-bulk", lockedMethods.lockId(locked, new Object[] {"A7", 12}));
    assertEquals("order-A7-small", lockedMethods.lockId(locked, new Object[] {"A7", 1}));
    assertNull(lockedMethods.get(Orders.class.getMethod("plain"), OrderService.class));
  }

  @Test
  void aConstantLockIdIsNotEvaluated() throws Exception {
    LockedMethod browse =
        lockedMethods.get(OrderService.class.getMethod("browse"), OrderService.class);
    assertTrue(browse.lockId().isConstant());
    assertEquals("catalog", lockedMethods.lockId(browse, new Object[0]));
    assertNull(browse.waitTimeout());
  }

  @Test
  void nullOrBlankPartsAreRefusedWithTheTemplateInTheMessage() throws Exception {
    LockedMethod ship =
        lockedMethods.get(
            OrderService.class.getMethod("ship", String.class, int.class), OrderService.class);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> lockedMethods.lockId(ship, new Object[] {null, 1}));
    assertTrue(e.getMessage().contains("#{#id} is null"), e.getMessage());
    assertTrue(e.getMessage().contains("OrderService.ship(String, int)"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> lockedMethods.lockId(ship, new Object[] {"", 1}));
    assertTrue(e.getMessage().contains("#{#id} is blank"), e.getMessage());
  }
}
