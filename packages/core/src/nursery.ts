// Nurseries: the public shape and the two ways to open one. Every task is started inside a
// nursery, and a nursery finishes only when all of its tasks have finished; cancelling it tears
// them down newest first. How (the order, the outcome, and the invariants behind them):
// internal/nursery-impl.ts, whose header is the design of this module.
import type { Clock } from "./clock.js";
import { context } from "./internal/context.js";
import { NurseryImpl } from "./internal/nursery-impl.js";
import { checkFunction } from "./internal/validate.js";
import { checkParent } from "./internal/parent.js";
import { TaskImpl } from "./internal/task-impl.js";
import { isAbortSignal } from "./is-abort-signal.js";
import { ScopeContextImpl } from "./scope-context.js";
import type { Cancellable } from "./on-cancel.js";
import type { StartContext, Task, TaskContext } from "./task.js";

// ===== Public types =====

/** Options of `nursery()` and `openNursery()`. */
export interface NurseryOptions {
  /**
   * A foreign signal to follow, e.g. a request's or a framework's. Inside a task, pass the task as
   * the parent instead (`nursery(task, body)`); given both, the nursery follows both.
   */
  signal?: AbortSignal;
  /** Shown in cancellation messages, errors and task trees. Default `"nursery"`. */
  name?: string;
  /** `"reverse"` (default): newest child first, one at a time, the body last. `"concurrent"`: all at once. */
  cancelOrder?: "reverse" | "concurrent";
  /** Ms a child gets to settle in reverse order before the next older one is cancelled. Default `Infinity`. */
  childGrace?: number;
  /** Ms after which the whole nursery is cancelled and rejects with `TimeoutError`. Default `Infinity`. */
  timeout?: number;
  /** Source of time for `timeout` and `childGrace`; children see it as `task.clock`. Default `realClock`. */
  clock?: Clock;
}

/** Options of {@link Nursery.start}. */
export interface StartOptions {
  /** Names the task, as `spawn()`'s `name` does. */
  name?: string;
  /**
   * The caller's signal, in the form without a caller (`start(fn, { signal })`); prefer passing the
   * caller first, `start(task, fn)`. Until the new task calls `started()` it is still the caller's
   * work: this signal aborting cancels it (with the caller's `CancelledError`, by identity) and
   * `start()` rejects with that reason. Already aborted: `start()` rejects with its reason and
   * nothing is started. After `started()` only the nursery cancels it.
   */
  signal?: AbortSignal;
}

/** A scope that owns tasks. See {@link nursery}. */
export interface Nursery {
  /** The nursery's name. */
  readonly name: string;
  /** The body's signal: aborts when the body's turn to be cancelled comes (after every child). */
  readonly signal: AbortSignal;
  /** The nursery's clock (the `clock` option). */
  readonly clock: Clock;
  /**
   * Starts `fn` as a child task, synchronously up to its first `await`. Its failure fails the
   * nursery; its cancellation does not. Spawning into a cancelled nursery starts the task already
   * cancelled; into a finished one throws `NurseryClosedError`.
   */
  spawn<T>(fn: (task: TaskContext) => T | PromiseLike<T>, options?: { name?: string }): Task<T>;
  /**
   * Starts `fn` as a child task and resolves once it calls `task.started(value)`, with that value.
   * A failure before `started()` rejects `start()` and does not fail the nursery; returning without
   * `started()` rejects with `StartError` (`ERR_NOT_STARTED`).
   */
  start<T = void>(fn: (task: StartContext<T>) => unknown, options?: StartOptions): Promise<T>;
  /**
   * `start()` with the caller first: until `started()` the task also follows `caller` (the task
   * awaiting `start()`): its cancellation cancels the task and rejects `start()` with it. TypeScript
   * cannot infer `T` from a `started(value)` call: write `start<number>(task, fn)` or annotate the
   * parameter (`(t: StartContext<number>) => ...`).
   */
  start<T = void>(caller: Cancellable, fn: (task: StartContext<T>) => unknown, options?: Omit<StartOptions, "signal">): Promise<T>;
  /** Cancels the nursery: it then resolves (with the body's value, or `undefined`). Sync, idempotent, never throws. */
  cancel(reason?: unknown): void;
  /** True once any cancellation trigger fired. */
  readonly cancelRequested: boolean;
  /** Live children, oldest first. */
  readonly children: readonly Task<unknown>[];
}

// ===== Entry points =====

/**
 * Runs `body` with a new nursery and settles once the body and every task it spawned have settled.
 *
 * `nursery(parent, body, options?)` opens it as the child of `parent`: a task (followed through a
 * cancel hook, no `AbortSignal` created; listed under the task in task trees and straggler
 * reports), a scope context, or any signal. `nursery(body, options?)` opens a root, or one under a
 * foreign `options.signal`; with `enableCurrentTask()` on, one opened inside a running task without
 * a signal is reported once per definition site.
 *
 * Use it wherever work fans out: every task spawned into `n` is owned by it, and nothing outlives it.
 *
 * - Success: resolves with the body's value after all children finished.
 * - Error: the first failure (body or child) cancels the rest, newest first; the nursery rejects with
 *   a `NurseryError` listing every real error, in order.
 * - Cancellation: `n.cancel()` makes it resolve (with the body's value or `undefined`); an outside
 *   `signal` makes it reject with `CancelledError`; its own `timeout` with `TimeoutError`.
 *
 * @example
 * ```ts
 * // Inside a task: the nursery is the task's child (cancelled with it, listed under it).
 * const pages = await nursery(task, async (n) => {
 *   const a = n.spawn(({ signal }) => fetch(urlA, { signal }));
 *   const b = n.spawn(({ signal }) => fetch(urlB, { signal }));
 *   return [await a, await b];
 * }, { name: "pages", timeout: 5_000 });
 * ```
 */
export function nursery<T>(body: (n: Nursery) => T | PromiseLike<T>, options?: NurseryOptions): Promise<T>;
export function nursery<T>(parent: Cancellable, body: (n: Nursery) => T | PromiseLike<T>, options?: NurseryOptions): Promise<T>;
export function nursery<T>(first: unknown, second?: unknown, third?: NurseryOptions): Promise<T> {
  if (typeof first !== "function" && typeof second === "function") {
    const n = new NurseryImpl(third, checkParent("parent", first));
    n.runBody(second as (n: Nursery) => unknown);
    return n.completion() as Promise<T>;
  }
  checkFunction("body", first);
  const options = second as NurseryOptions | undefined;
  const n = new NurseryImpl(options);
  if (options?.signal === undefined) context.noticeUnlinked?.(first as Function, n.name);
  n.runBody(first as (n: Nursery) => unknown);
  return n.completion() as Promise<T>;
}

/**
 * Opens a nursery for `await using`: when the block ends, disposal waits for every child and
 * rejects with `NurseryError` if any failed. Code in the block should use `n.signal`.
 *
 * `openNursery(parent, options?)` opens it as the child of `parent`, as `nursery(parent, body)`
 * does: a task (followed through a cancel hook, listed under it in task trees), a scope context, a
 * nursery or any signal. `openNursery(options?)` opens a root, or one under `options.signal`.
 *
 * An error thrown by the block itself is not visible to disposal (JavaScript does not pass it on),
 * so disposal still waits for the children; call `n.cancel()` in a `catch` if they must stop then,
 * or use {@link nursery}, which sees the body's error.
 *
 * @example
 * ```ts
 * {
 *   await using n = openNursery(task, { name: "workers" });
 *   n.spawn(worker);
 *   n.spawn(worker);
 * } // waits for both workers here
 * ```
 */
export function openNursery(options?: NurseryOptions): Nursery & AsyncDisposable;
export function openNursery(parent: Cancellable, options?: NurseryOptions): Nursery & AsyncDisposable;
export function openNursery(first?: unknown, second?: NurseryOptions): Nursery & AsyncDisposable {
  // One argument is the parent when it is one of the library's own (an options object with a
  // `signal` is Cancellable by shape, and stays the options); two arguments always are.
  if (second !== undefined || isLibraryParent(first)) return new NurseryImpl(second, checkParent("parent", first));
  return new NurseryImpl(first as NurseryOptions | undefined);
}

function isLibraryParent(value: unknown): boolean {
  return value instanceof TaskImpl || value instanceof NurseryImpl || value instanceof ScopeContextImpl || isAbortSignal(value);
}
