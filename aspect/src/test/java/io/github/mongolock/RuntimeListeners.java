package io.github.mongolock;

import java.util.List;

/** Test access to what a runtime has registered (the accessor is package-private in core). */
public final class RuntimeListeners {

  private RuntimeListeners() {}

  public static List<LockListener> of(LockRuntime runtime) {
    return List.copyOf(runtime.listeners());
  }
}
