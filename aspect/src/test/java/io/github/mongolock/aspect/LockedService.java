package io.github.mongolock.aspect;

import java.util.function.Supplier;

/** Annotated methods whose bodies are supplied by the test, so the test observes from inside. */
public class LockedService {

  public record Order(String id) {}

  public static class Failure extends Exception {
    Failure(String message) {
      super(message);
    }
  }

  @WriteLocked("orders")
  public <T> T write(Supplier<T> body) {
    return body.get();
  }

  @ReadLocked("orders")
  public <T> T read(Supplier<T> body) {
    return body.get();
  }

  @WriteLocked("order-#{#order.id}")
  public <T> T writeOrder(Order order, Supplier<T> body) {
    return body.get();
  }

  @ReadLocked("order-#{#p0.id()}-#{@lockNames.suffix()}")
  public <T> T readOrderWithBean(Order order, Supplier<T> body) {
    return body.get();
  }

  @WriteLocked(value = "orders", waitTimeout = "300ms")
  public <T> T writeWaitingBriefly(Supplier<T> body) {
    return body.get();
  }

  @WriteLocked("${app.lock}")
  public <T> T writeConfigured(Supplier<T> body) {
    return body.get();
  }

  @WriteLocked("orders")
  public void fail(Failure failure) throws Failure {
    throw failure;
  }

  /** For a bean reference in a lock ID: {@code @lockNames.suffix()}. */
  public static class LockNames {
    public String suffix() {
      return "eu";
    }
  }
}
