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
//
// An operation never outlives its task. A task that returns (or throws) without awaiting the
// promise would otherwise leave the operation running after the task, and its nursery, ended. So
// the operation is halted when its owner ends (core's `onTaskEnd`), and a keeper task joins the
// owner's nursery (the owner itself when it is a nursery), as @nursery/process does for a child
// process: it settles only once the effection task has finished, so the nursery waits for the
// halt's cleanup, and a cleanup error of a halt is the keeper's failure, reported by the nursery
// (once, even when the owner also rethrows it). The keeper is newer than the owner, so a cancelled
// nursery halts the operation in the keeper's turn, before the owner's, with the nursery's own
// reason (recognised by identity as its cancellation). A bare `AbortSignal` owner has no nursery
// to join: the operation is still halted when the task that signal belongs to ends, but nothing
// waits for that halt. See docs/design/decisions/effection-teardown.md (7).
import { run, type Operation, type Task } from "effection";
import type { Nursery } from "@nursery/core";
import { cancelReasonOf, checkFunction, checkOptions, checkSignal, invalidArgument, isAbortSignal, onCancel, onTaskEnd, type Cancellable } from "@nursery/core/adapter";
import { haltReason } from "./internal/halt-reason.js";

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
 * - Task end: the operation never outlives `task`. If the task returns or throws without awaiting
 *   the promise, the operation is halted then; the task's nursery waits for that halt's cleanup,
 *   and a cleanup error fails the nursery. The promise rejects with a `CancelledError` (source
 *   `"parent"`), not reported if nobody awaits it. With a nursery as `task`, the nursery does not
 *   settle before the operation has ended.
 *
 * The operation runs in a new top-level effection scope (effection's `run()`): it does not inherit
 * contexts from any effection scope the caller may be inside. One listener is added to `task` and
 * removed when the promise settles; with a task or a nursery, a task named `effection <operation>`
 * joins the nursery for as long as the operation runs.
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
  return start(signal, operation);
}

const noop = (): void => undefined;

function start<T>(owner: Cancellable, operation: () => Operation<T>): Promise<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let task: Task<T> | undefined;
  /** The operation returned or threw by itself: its outcome stands, nothing is halted. */
  let ended = false;
  /** Why this module halts the operation; the first reason wins. */
  let halt: { reason: unknown } | undefined;
  /** A stop asked for before the effection task exists; committed to `halt` once it does. */
  let early: { reason: unknown } | undefined;
  // Read through a function: callbacks set `early` during the synchronous calls below.
  const halted = (): { reason: unknown } | undefined => early;
  let ownerEnded = false;
  let removeListener = noop;
  let removeEndListener = noop;
  let removeKeeperListener = noop;
  const stop = (reason: unknown): void => {
    if (ended || halt !== undefined) return;
    if (task === undefined) {
      early ??= { reason };
      return;
    }
    halt = { reason };
    halting(task, reason);
  };

  // The keeper stands for the operation in the owner's nursery (see the header): it settles once
  // the effection task has finished, and fails with a cleanup error of the halt.
  let keeper: { resolve(): void; reject(error: unknown): void } | undefined;
  const nursery = keeperNursery(owner);
  if (nursery !== undefined) {
    try {
      nursery.spawn(
        (keeperTask) =>
          new Promise<void>((res, rej) => {
            keeper = { resolve: res, reject: rej };
            removeKeeperListener = onCancel(keeperTask, stop);
          }),
        { name: `effection ${operation.name === "" ? "operation" : operation.name}` },
      );
    } catch (err) {
      return Promise.reject(err); // e.g. NurseryClosedError: nothing was started
    }
    const early = halted();
    if (early !== undefined) {
      // The keeper started cancelled: the nursery is shutting down. Start nothing.
      removeKeeperListener();
      keeper?.resolve();
      return Promise.reject(early.reason);
    }
  }
  const finish = (): void => {
    removeListener();
    removeEndListener();
    removeKeeperListener();
  };
  const halting = (running: Task<T>, reason: unknown): void => {
    running.halt().then(
      () => {
        finish();
        // Nobody can be waiting through an owner that has ended: the cancellation is not reported.
        if (ownerEnded) promise.catch(noop);
        reject(reason);
        keeper?.resolve();
      },
      (cleanupError: unknown) => {
        finish();
        if (keeper !== undefined) {
          // The nursery reports it (once, even if the owner rethrows it): never an unhandled rejection.
          promise.catch(noop);
          keeper.reject(cleanupError);
        }
        reject(cleanupError);
      },
    );
  };
  // Listen before starting: effection runs the operation synchronously up to its first
  // suspension, and it may abort `signal` itself in that stretch.
  removeListener = onCancel(owner, stop);
  removeEndListener = onTaskEnd(owner, () => {
    ownerEnded = true;
    stop(haltReason("the task that ran the effection operation ended"));
  });
  const gone = halted();
  if (gone !== undefined) {
    // The owner had already ended (a call from a task that returned): start nothing.
    finish();
    keeper?.resolve();
    return Promise.reject(gone.reason);
  }
  task = run(function* () {
    try {
      const value = yield* operation();
      if (halt === undefined) ended = true;
      return value;
    } catch (error) {
      ended = true;
      throw error;
    }
  });
  task.then(
    (value) => {
      if (halt !== undefined) return;
      finish();
      resolve(value);
      keeper?.resolve();
    },
    (error: unknown) => {
      if (halt !== undefined) return;
      finish();
      reject(error);
      keeper?.resolve();
    },
  );
  // Asked to stop while the operation ran up to its first suspension: halted now, unless it has
  // already returned or thrown (its outcome then stands).
  const starting = halted();
  if (starting !== undefined && !ended) {
    halt = starting;
    halting(task, starting.reason);
  }
  return promise;
}

/** The nursery a keeper joins: the owner's own when it is a task, the owner when it is a nursery. */
function keeperNursery(owner: Cancellable): Pick<Nursery, "spawn"> | undefined {
  const self = owner as { spawn?: unknown; nursery?: { spawn?: unknown } };
  if (typeof self.spawn === "function") return owner as unknown as Nursery;
  const nursery = self.nursery;
  return typeof nursery?.spawn === "function" ? (nursery as Nursery) : undefined;
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
