// The effection scope's lifetime as an AbortSignal, for async code that must be awaited on halt.
//
// effection's own `call(fn)` and `until(promise)` abandon the promise when the operation is halted,
// and `useAbortSignal()` aborts without waiting: the async work's cleanup then outlives the
// operation. Here the halt aborts the signal and then waits for the promise to settle.
//
// The wait lives in an `ensure()` inside `scoped()`, not in a `finally` of this generator: a
// `finally` that yields turns the halt into a normal return for the frames above it, so code after
// `yield* callWithSignal(...)` would run after a halt (effection#1190; the effection docs now say
// async cleanup belongs in `ensure()`). `ensure()` runs in its own task frame; `scoped()` re-arms
// the halt after its teardown (effection 4.1+), and bounds the ensure to this one call.
import { isCancellation } from "@nursery/core";
import { ensure, scoped, until, type Operation } from "effection";
import { haltReason } from "./internal/halt-reason.js";
import { checkFunction } from "@nursery/core/adapter";

/**
 * Calls an async function with an AbortSignal bound to the calling effection operation: halting
 * the operation aborts the signal and waits for the function to settle.
 *
 * Use it to call nursery code and other signal-taking async APIs (`fetch`, `@nursery/timers`,
 * `nursery(body, { signal })`) from effection, so that their cleanup finishes before the
 * effection scope is considered halted. effection's `useAbortSignal()` gives a signal too, but
 * does not wait for anything.
 *
 * - Success: yields the function's value.
 * - Error: throws the function's error (synchronous throws included), catchable in the operation.
 * - Cancellation: on halt, the signal aborts with a `CancelledError` (source `"parent"`), and the
 *   halt waits for the promise to settle. A cancellation rejection then (`isCancellation`) is the
 *   expected outcome and is dropped; any other rejection is a cleanup failure and is thrown from
 *   the halt (`task.halt()` rejects with it, as for a failing `ensure`).
 *
 * @example
 * ```ts
 * import { nursery } from "@nursery/core";
 * import { run } from "effection";
 * await run(function* () {
 *   const total = yield* callWithSignal((signal) =>
 *     nursery(async (n) => {
 *       const a = n.spawn(() => 1);
 *       const b = n.spawn(() => 2);
 *       return (await a) + (await b);
 *     }, { signal }),
 *   );
 *   return total; // 3
 * });
 * ```
 */
export function callWithSignal<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>): Operation<T> {
  checkFunction("fn", fn);
  return scoped(function* () {
    const controller = new AbortController();
    let pending: Promise<T> | undefined;
    let settled = false;
    yield* ensure(function* () {
      if (pending === undefined || settled) return;
      controller.abort(haltReason("effection operation halted"));
      const failure = yield* until(
        pending.then(
          () => undefined,
          (error: unknown) => (isCancellation(error) ? undefined : { error }),
        ),
      );
      if (failure !== undefined) throw failure.error;
    });
    pending = Promise.resolve(fn(controller.signal));
    // `settled` is set only when `until` resumes (value or error). A halt ends this frame at the
    // `yield` with a return completion, so neither branch runs and the ensure above aborts.
    let value: T;
    try {
      value = yield* until(pending);
    } catch (error) {
      settled = true;
      throw error;
    }
    settled = true;
    return value;
  });
}
