// An AbortSignal that halts an effection operation, seen from async code.
//
// Invariant: the returned promise settles only after the effection task has finished, including
// every `finally` block, `ensure()` and spawned child of the operation. A halt therefore never
// leaves effection cleanup running behind the caller's back.
//
// How the outcome is decided. effection rejects a halted task with `Error("halted")`, which cannot
// be told apart from a user error of the same message, and (effection#1190) a frame whose
// delegated sub-operation yields inside `finally` can run on past the halt and "return". So the
// outcome is not read from the task: a wrapper records how the operation itself ended, and a flag
// records whether this module asked for the halt. Asked for the halt and the halt succeeded: the
// promise rejects with `signal.reason` (identity). The halt threw: that error is a cleanup failure
// and is what the promise rejects with. Finished before the abort arrived: the operation's own
// outcome stands, and nothing is halted.
import { run, type Operation, type Task } from "effection";
import { checkFunction, checkOptions, checkSignal, onCancel } from "@nursery/core/adapter";

/** Options of {@link runOperation}. */
export interface RunOperationOptions {
  /** Halts the operation when it aborts; the promise then rejects with `signal.reason`. */
  readonly signal: AbortSignal;
}

/**
 * Runs an effection operation from async code and halts it when `signal` aborts: the AbortSignal
 * to effection direction of the interop.
 *
 * Use it where async code holds a signal (a nursery task, a request handler) and has an effection
 * operation to run under it. Inside a nursery, {@link spawnOperation} is the shorter form.
 *
 * - Success: resolves with the operation's value, after its scope (spawned tasks, resources,
 *   `ensure`) has been torn down.
 * - Error: rejects with the error the operation threw.
 * - Cancellation: when `signal` aborts, the operation is halted and the promise waits for every
 *   `finally`/`ensure` block of it, then rejects with `signal.reason` itself. If a cleanup throws
 *   during the halt, it rejects with that error instead (a real error, not a cancellation). A signal
 *   that is already aborted rejects at once and the operation never starts.
 *
 * The operation runs in a new top-level effection scope (effection's `run()`): it does not inherit
 * contexts from any effection scope the caller may be inside. One listener is added to `signal`
 * and removed when the promise settles.
 *
 * @example
 * ```ts
 * import { sleep } from "effection";
 * const controller = new AbortController();
 * const value = await runOperation(function* () {
 *   yield* sleep(10);
 *   return 42;
 * }, { signal: controller.signal });
 * ```
 */
export function runOperation<T>(operation: () => Operation<T>, options: RunOperationOptions): Promise<T> {
  checkFunction("operation", operation);
  checkOptions("options", options);
  const signal = checkSignal("options.signal", (options as RunOperationOptions | undefined)?.signal);
  if (signal.aborted) return Promise.reject(signal.reason);

  return new Promise<T>((resolve, reject) => {
    let task: Task<T> | undefined;
    let abortedWhileStarting = false;
    let ended = false;
    let halting = false;
    const halt = (running: Task<T>): void => {
      // The operation already returned or threw: its outcome stands and `running` reports it once
      // its scope is torn down.
      if (ended) return;
      halting = true;
      running.halt().then(
        () => reject(signal.reason),
        (cleanupError: unknown) => reject(cleanupError),
      );
    };
    // Listen before starting: effection runs the operation synchronously up to its first
    // suspension, and it may abort `signal` itself in that stretch.
    const removeListener = onCancel(signal, () => {
      if (task === undefined) abortedWhileStarting = true;
      else halt(task);
    });
    task = run(function* () {
      try {
        const value = yield* operation();
        if (!halting) ended = true;
        return value;
      } catch (error) {
        ended = true;
        throw error;
      }
    });
    task.then(
      (value) => {
        removeListener();
        if (!halting) resolve(value);
      },
      (error: unknown) => {
        removeListener();
        if (!halting) reject(error);
      },
    );
    if (abortedWhileStarting) halt(task);
  });
}
