// The public shape of tasks. The implementation, internal/task-impl.ts, has what the library needs
// on top (its cancel hooks, its settlement) without exposing it.
import type { Clock } from "./clock.js";
import type { Nursery } from "./nursery.js";

/**
 * What a task's function receives: its cancellation signal, its name, and its nursery.
 *
 * At run time the context is the same object as the {@link Task} that `spawn()` returned (one
 * object per task keeps tasks small), so it is a thenable. Pass it around freely, but do not
 * return it from an async function, await it or resolve a promise with it: that waits for the
 * task's result, which from inside the task itself never comes. Wrap it instead (`return { task }`);
 * to wait for a task, await its {@link Task}. In TypeScript, returning it from an async function
 * and awaiting it are compile errors wherever they are written (see {@link TaskContext.then}), and
 * `run()`'s `main` may not return it synchronously either. At run time, done before the function's
 * first `await` (or anywhere, with `currentTask()` on), it rejects at once with a `TypeError`
 * saying so; plain JavaScript that does it after the first `await` waits forever.
 */
export interface TaskContext {
  /**
   * Aborts when this task is cancelled; `signal.reason` is then a `CancelledError`. The library's
   * operations take the task itself first (`sleep(task, ms)`, `nursery(task, body)`); pass the
   * signal to platform and third-party APIs that take one (`fetch(url, { signal })`). Created on
   * first read, so tasks that never look at it cost no `AbortController`.
   */
  readonly signal: AbortSignal;
  /** The task's name: the `name` option, else the function's name, else `task-<n>`. */
  readonly name: string;
  /** The nursery that owns this task. Spawn siblings into it. */
  readonly nursery: Nursery;
  /** The nursery's clock: pass it to timers so a virtual clock in tests reaches them. */
  readonly clock: Clock;
  /**
   * `"running"` while the task's function has not settled. Adapters read it to refuse work that
   * would outlive the task (reading a response body after the task returned).
   */
  readonly state: TaskState;
  /**
   * Cancels this task alone, as {@link Task.cancel} does (the nursery is not cancelled). Like every
   * member of the context it does not depend on `this`: `({ cancel, signal }) => ...` works.
   */
  cancel(reason?: unknown): void;
  /**
   * Not for calling: it is declared so that TypeScript refuses a task waiting for itself. The
   * context is the task, whose `then` waits for the task's result; from inside the task that never
   * comes. Declared with a `never` parameter, it makes the context a thenable that is not a valid
   * promise, so `async (t) => { await x; return t; }` fails to compile with TS1058 ("The return
   * type of an async function must either be a valid promise or must not contain a callable 'then'
   * member") and `await t` with TS1320, before or after the function's first `await`.
   * `Promise.resolve(t)` is a `Promise<never>`. Return `{ task: t }` instead; the {@link Task}
   * that `spawn()` returned is the one to await.
   */
  then(ownContextIsNotAwaitable: never): unknown;
}

/**
 * The context of a task started with `Nursery.start()`: a task context plus `started()`.
 *
 * TypeScript cannot infer `start()`'s `T` from a `started(value)` call inside the function's body,
 * so name it once: `n.start<number>(task, fn)` or, equivalently, annotate the parameter:
 * `n.start(task, async (t: StartContext<number>) => ...)`.
 */
export interface StartContext<T> extends TaskContext {
  /**
   * Resolves the `start()` call with `value`. Call it once, when the task is ready. The value may be
   * left out only when `T` admits `undefined` (`start<void>()`, the default). Works destructured:
   * `n.start(task, ({ started }) => { started(42); ... })`.
   */
  started(...value: undefined extends T ? [value?: T] : [value: T]): void;
}

/**
 * `unknown` for any `T` but a task context, and an unsatisfiable type with a message for a task
 * context: a task's function that returns its own context would wait for itself forever (the
 * context is the task, a thenable), so `run((t) => t)` is a type error, as `run(async (t) => t)`
 * is (an async function returning it is refused everywhere through {@link TaskContext.then}).
 * Wrap it instead: `return { task: t }`. `any` and `never` pass.
 */
export type NotOwnContext<T> = 0 extends 1 & T
  ? unknown
  : [T] extends [never]
    ? unknown
    : [T] extends [TaskContext]
      ? { "a task's function may not return its own context: it would wait for itself forever": never }
      : unknown;

/** Where a task is in its life. `"cancelled"`: it ended by rejecting with its own cancellation. */
export type TaskState = "running" | "fulfilled" | "rejected" | "cancelled";

/**
 * A child of a nursery. Await it for its result; its failure also goes to its nursery, so an
 * unawaited failing task never produces an unhandled rejection and is never lost.
 *
 * Awaiting a cancelled task rejects with its `CancelledError`.
 *
 * @example
 * ```ts
 * await nursery(async (n) => {
 *   const users = n.spawn(() => loadUsers(), { name: "load-users" });
 *   console.log((await users).length);
 * });
 * ```
 */
export interface Task<T> extends PromiseLike<T> {
  /** The task's name, used in cancellation messages and task trees. */
  readonly name: string;
  /** `"running"` until the task's function settles. */
  readonly state: TaskState;
  /**
   * Cancels this task alone: aborts its signal with a `CancelledError` (source `"explicit"`). The
   * nursery is not cancelled, and the task's cancellation is not an error. A no-op once it ended.
   */
  cancel(reason?: unknown): void;
  /** `Promise.prototype.catch` for the task's outcome: `task.then(undefined, onrejected)`. */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R>;
  /** `Promise.prototype.finally` for the task's outcome. */
  finally(onfinally?: (() => void) | null): Promise<T>;
}
