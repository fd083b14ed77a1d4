// A nursery that lives inside an effection scope, as an effection resource.
//
// Invariants:
// - The nursery is cancelled and awaited (in its own `cancelOrder`, reverse by default) before the
//   effection scope that opened it finishes tearing down, at the resource's place in effection's
//   LIFO teardown: what was opened after the nursery is torn down before it, what was opened
//   before it, after it.
// - A nursery that fails on its own (a child throws, its `timeout` passes, its outside `signal`
//   aborts) fails the effection scope with the nursery's error, once, as a failing spawned task
//   would.
//
// Teardown runs in an `ensure()` registered first, and the failure watcher is a task spawned after
// it, so effection halts the watcher before the teardown cancels the nursery: the watcher only ever
// sees failures the nursery had on its own. Async teardown is in `ensure()`, not in a `finally`
// that yields (effection#1190).
import { isCancellation, openNursery, type Nursery, type NurseryOptions } from "@nursery/core";
import { action, ensure, resource, spawn, until, type Operation } from "effection";
import { haltReason } from "./internal/halt-reason.js";
import { checkOptionalSignal, checkOptions, onCancel } from "@nursery/core/adapter";

/**
 * Opens a nursery inside the current effection scope, as a resource: the nursery to effection
 * direction of the interop.
 *
 * Use it to start nursery tasks (async functions, `@nursery/*` adapters) from effection code and
 * have effection's scope own them.
 *
 * - Success: yields an open {@link Nursery}. When the effection scope ends (its operation returns,
 *   throws or is halted), the nursery is cancelled with a `CancelledError` (source `"parent"`),
 *   its children newest-first, and the scope's teardown waits for all of them. This is effection's
 *   rule for spawned tasks: the scope's end shuts them down. To wait for nursery children instead,
 *   use `yield* callWithSignal((signal) => nursery(body, { signal }))`.
 * - Error: when the nursery fails while the scope runs (a child throws, the `timeout` option
 *   passes, the outside `signal` option aborts), the nursery cancels its other children, waits for
 *   them, and its error (`NurseryError`, `TimeoutError` or `CancelledError`) fails the effection
 *   scope, as a failing spawned task does. A real error from a child's cleanup during the scope's
 *   teardown is thrown from that teardown (`task.halt()` rejects with it).
 * - Cancellation: halting the effection scope tears the nursery down as above. A nursery cancelled
 *   with `nursery.cancel()` absorbs it: the effection scope is not failed.
 *
 * `options` are those of `openNursery`; a `signal` given there cancels the nursery from outside.
 *
 * @example
 * ```ts
 * import { run, suspend } from "effection";
 * await run(function* () {
 *   const n = yield* useNursery({ name: "workers" });
 *   n.spawn(async ({ signal }) => { await fetch("https://example.com", { signal }); });
 *   yield* suspend(); // halting this operation cancels the fetch and waits for it
 * });
 * ```
 */
export function useNursery(options: NurseryOptions = {}): Operation<Nursery> {
  checkOptions("options", options);
  const outer = checkOptionalSignal("options.signal", options.signal);

  return resource<Nursery>(function* (provide) {
    // The nursery's outside signal: aborted by effection's teardown, or forwarded from `outer`.
    const controller = new AbortController();
    let removeOuter = (): void => {};
    if (outer?.aborted) controller.abort(outer.reason);
    else if (outer !== undefined) removeOuter = onCancel(outer, () => controller.abort(outer.reason));

    let opened: Nursery & AsyncDisposable;
    try {
      opened = openNursery({ ...options, signal: controller.signal });
    } catch (error) {
      removeOuter();
      throw error;
    }
    const n = opened;
    let disposal: Promise<void> | undefined;
    const dispose = (): Promise<void> => (disposal ??= Promise.resolve(n[Symbol.asyncDispose]()));

    yield* ensure(function* () {
      removeOuter();
      if (!controller.signal.aborted) controller.abort(haltReason("effection scope ended"));
      try {
        yield* until(dispose());
      } catch (error) {
        // Our own cancellation is the expected outcome. Anything else is a real error: a child's
        // cleanup failed, or the nursery had already failed (the watcher reported that same error).
        if (isCancellation(error)) return;
        throw error;
      }
    });

    // The spawned effection task is owned and awaited by the enclosing effection scope, not here.
    // eslint-disable-next-line @typescript-eslint/no-floating-promises
    yield* spawn(function* () {
      yield* waitForAbort(n.signal);
      // Rejects with the nursery's verdict, which fails the effection scope; resolves when the
      // nursery was cancelled by `cancel()` (absorbed, nothing to report).
      yield* until(dispose());
    });

    yield* provide(n);
  });
}

function waitForAbort(signal: AbortSignal): Operation<void> {
  return action<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return () => {};
    }
    return onCancel(signal, () => resolve());
  });
}
