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
import { cancelReasonOf, checkFunction, checkOptions, checkSignal, invalidArgument, isAbortSignal, onCancel, type Cancellable } from "@nursery/core/adapter";

/** The old options of {@link runOperation}; the task now comes first. */
export interface RunOperationOptions {
  /** Halts the operation when it aborts; the promise then rejects with `signal.reason`. */
  readonly signal: AbortSignal;
}

/**
 * Runs an effection operation from async code and halts it when `task` is cancelled: the nursery
 * to effection direction of the interop. `task` is any `Cancellable` (a task, a scope context, an
 * `AbortSignal`), first as everywhere (api-cancellation-source.md); a task is listened to without
 * creating its `AbortSignal`.
 *
 * Use it where async code holds a signal (a nursery task, a request handler) and has an effection
 * operation to run under it. Inside a nursery, {@link spawnOperation} is the shorter form.
 *
 * - Success: resolves with the operation's value, after its scope (spawned tasks, resources,
 *   `ensure`) has been torn down.
 * - Error: rejects with the error the operation threw.
 * - Cancellation: when `task` is cancelled, the operation is halted and the promise waits for every
 *   `finally`/`ensure` block of it, then rejects with the task's cancellation reason itself. If a cleanup throws
 *   during the halt, it rejects with that error instead (a real error, not a cancellation). A task
 *   already cancelled rejects at once and the operation never starts.
 *
 * The operation runs in a new top-level effection scope (effection's `run()`): it does not inherit
 * contexts from any effection scope the caller may be inside. One listener is added to `task` and
 * removed when the promise settles.
 *
 * @example
 * ```ts
 * import { sleep } from "effection";
 * const value = await runOperation(task, function* () {
 *   yield* sleep(10);
 *   return 42;
 * });
 * ```
 */
export function runOperation<T>(task: Cancellable, operation: () => Operation<T>): Promise<T>;
/** @deprecated Write `runOperation(task, operation)`: the cancellation source comes first (api-cancellation-source.md). */
export function runOperation<T>(operation: () => Operation<T>, options: RunOperationOptions): Promise<T>;
export function runOperation<T>(first: unknown, second: unknown): Promise<T> {
  // `runOperation(operation, { signal })`, the older form, is told apart by its operation first,
  // or (for bad input) by having no operation second.
  let operation: () => Operation<T>;
  let signal: Cancellable;
  if (typeof first === "function" || typeof second !== "function") {
    checkFunction("operation", first);
    operation = first as () => Operation<T>;
    checkOptions("options", second);
    signal = checkSignal("options.signal", (second as RunOperationOptions | undefined)?.signal);
  } else {
    signal = checkCancellableArg(first);
    checkFunction("operation", second);
    operation = second as () => Operation<T>;
  }
  const early = cancelReasonOf(signal);
  if (early !== undefined) return Promise.reject(early);

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
        () => reject(cancelReasonOf(signal)),
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

// A task is recognised without reading its `signal` (which would create its AbortSignal).
function checkCancellableArg(value: unknown): Cancellable {
  if (isAbortSignal(value)) return value;
  if (typeof value === "object" && value !== null && "signal" in value) {
    const task = value as { state?: unknown; then?: unknown; signal?: unknown };
    if ((typeof task.state === "string" && typeof task.then === "function") || isAbortSignal(task.signal)) return value as Cancellable;
  }
  throw invalidArgument("task", "a task, a scope context or an AbortSignal", value);
}
