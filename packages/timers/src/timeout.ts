// `timeout` and `deadline` are front ends over core's cancel scopes: `failAfter` (the default) and
// `moveOnAfter` (`onTimeout: "move-on"`). They add no deadline logic of their own: `deadline` only
// turns an instant on the clock into a delay. Every rule of those scopes (a scope catches only its
// own deadline, an outer cancellation passes through, `shield`) therefore holds here unchanged.
import { failAfter, moveOnAfter, realClock, type Cancellable, type ScopeContext, type ScopeOptions } from "@nursery/core";
import { sourceOf } from "./internal/source.js";
import { checkOneOf, checkOptionalClock, checkOptions, invalidArgument } from "@nursery/core/adapter";

/**
 * Options of {@link timeout} and {@link deadline}: core's scope options plus `onTimeout`. The
 * parent-first forms take them without `signal` ({@link ParentTimeoutOptions}): the parent cancels.
 */
export interface TimeoutOptions extends ScopeOptions {
  /**
   * What the returned promise does when the deadline cancels `fn`: `"fail"` (default) rejects with
   * `TimeoutError` (core's `failAfter`); `"move-on"` resolves with `undefined` (core's `moveOnAfter`).
   */
  onTimeout?: "fail" | "move-on";
}

/** {@link TimeoutOptions} with `onTimeout: "move-on"`: the result may be `undefined`. */
export interface MoveOnOptions extends TimeoutOptions {
  onTimeout: "move-on";
}

// The public signatures spell this type out, so the reference shows it; `scope` uses the alias.
type Work<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/** Options of the parent-first forms: {@link TimeoutOptions} without `signal` (the parent cancels). */
export type ParentTimeoutOptions = Omit<TimeoutOptions, "signal">;

function parentScope<T>(parent: Cancellable, ms: number, fn: (scope: ScopeContext) => T | PromiseLike<T>, options: ParentTimeoutOptions | undefined): Promise<T | undefined> {
  checkOptions("options", options);
  const onTimeout = options?.onTimeout === undefined ? "fail" : checkOneOf("onTimeout", options.onTimeout, ["fail", "move-on"]);
  const rest: Omit<ParentTimeoutOptions, "onTimeout"> = { ...options };
  delete (rest as TimeoutOptions).onTimeout;
  return onTimeout === "fail" ? failAfter(parent, ms, fn, rest) : moveOnAfter(parent, ms, fn, rest);
}

function scope<T>(ms: number, fn: Work<T>, options: TimeoutOptions | undefined): Promise<T | undefined> {
  const onTimeout = options?.onTimeout === undefined ? "fail" : checkOneOf("onTimeout", options.onTimeout, ["fail", "move-on"]);
  return onTimeout === "fail" ? failAfter(ms, fn, options) : moveOnAfter(ms, fn, options);
}

/** A point in time on a clock's scale: any number but NaN (`Infinity` = never). */
function checkInstant(name: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw invalidArgument(name, "a number (a time on the clock's scale)", value);
  }
  return value;
}

/**
 * Runs `fn` under a deadline `ms` milliseconds from now, as a child scope of `parent`: a relative
 * deadline. The same as core's `failAfter(parent, ms, fn, options)` (or `moveOnAfter` with
 * `onTimeout: "move-on"`), named for readers who think "timeout".
 *
 * Use it around one operation that must not take too long: a request, a connection attempt.
 * `fn` receives a `ScopeContext`: pass it first to what it runs (`fetch(scope, url)`,
 * `sleep(scope, ms)`), so the deadline cancels them.
 *
 * - Success: resolves with `fn`'s value.
 * - Deadline: the scope is cancelled with a `CancelledError` (source `"deadline"`); when `fn` then
 *   rejects, the promise rejects with `TimeoutError` (`.timeout` = `ms`, `.cause` = `fn`'s
 *   rejection), or resolves `undefined` with `onTimeout: "move-on"`.
 * - Error: rejects with `fn`'s own error.
 * - Cancellation: when `parent` is cancelled, the scope is too and the promise rejects with that
 *   cancellation, never a `TimeoutError`: a task's `CancelledError` as is, any other reason
 *   wrapped in a `CancelledError` (source `"parent"`, `detail` = the reason). When `parent` is
 *   already cancelled, rejects at once with its reason, without calling `fn`. `shield: true`
 *   ignores the parent's cancellation.
 * - Bad input: throws `TypeError` (`ms` must be a number >= 0 or `Infinity` = no deadline).
 *
 * The older `timeout(ms, (signal) => ..., { signal })` still works and is deprecated.
 *
 * @example
 * ```ts
 * n.spawn(async (task) => {
 *   const res = await timeout(task, 5_000, (scope) => fetch(url, { signal: scope.signal }));
 *   const cached = await timeout(task, 50, (scope) => cache.get(key, scope.signal), {
 *     onTimeout: "move-on", // undefined after 50 ms
 *   });
 * });
 * ```
 */
export function timeout<T>(parent: Cancellable, ms: number, fn: (scope: ScopeContext) => T | PromiseLike<T>, options: ParentTimeoutOptions & { onTimeout: "move-on" }): Promise<T | undefined>;
export function timeout<T>(parent: Cancellable, ms: number, fn: (scope: ScopeContext) => T | PromiseLike<T>, options?: ParentTimeoutOptions): Promise<T>;
/** @deprecated Write `timeout(task, ms, (scope) => ...)`: the parent comes first (api-cancellation-source.md). */
export function timeout<T>(ms: number, fn: (signal: AbortSignal) => T | PromiseLike<T>, options: MoveOnOptions): Promise<T | undefined>;
/** @deprecated Write `timeout(task, ms, (scope) => ...)`: the parent comes first (api-cancellation-source.md). */
export function timeout<T>(ms: number, fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: TimeoutOptions): Promise<T>;
export function timeout<T>(first: unknown, second: unknown, third?: unknown, fourth?: unknown): Promise<T | undefined> {
  if (isParentForm(first, second)) {
    sourceOf(first);
    return parentScope(first as Cancellable, second as number, third as (scope: ScopeContext) => T, fourth as ParentTimeoutOptions | undefined);
  }
  const options = third as TimeoutOptions | undefined;
  checkOptions("options", options);
  return scope(first as number, second as Work<T>, options);
}

/** The parent-first forms start with an object; the old ones with a number (`ms` or `at`). */
function isParentForm(first: unknown, second: unknown): boolean {
  return typeof first === "object" && first !== null && typeof second === "number";
}

/**
 * Runs `fn` under a deadline at the instant `at` on the clock, as a child scope of `parent`: an
 * absolute deadline (trio's `fail_at` / `move_on_at`). Use it when several steps share one
 * deadline: compute it once, `const at = task.clock.now() + 10_000`, and pass the same `at` to each
 * step.
 *
 * `at` is on the clock's own scale, `clock.now()` (the parent's clock, unless `options.clock` is
 * given): for `realClock` that is `performance.now()`, NOT `Date.now()`. `Infinity` means no
 * deadline; an `at` already past cancels the scope as soon as `fn` has started (core's
 * `failAfter(parent, 0, fn)`), so its first checkpoint always throws. Otherwise it is
 * `timeout(parent, at - clock.now(), fn, options)`, and behaves like it on success, deadline
 * (`TimeoutError.timeout` is the remaining time at the call), error and cancellation.
 *
 * The older `deadline(at, (signal) => ..., { signal })` still works and is deprecated.
 *
 * @example
 * ```ts
 * const at = task.clock.now() + 10_000; // the whole login must finish within 10 s
 * const token = await deadline(task, at, (scope) => authenticate(scope));
 * const profile = await deadline(task, at, (scope) => loadProfile(scope, token));
 * ```
 */
export function deadline<T>(parent: Cancellable, at: number, fn: (scope: ScopeContext) => T | PromiseLike<T>, options: ParentTimeoutOptions & { onTimeout: "move-on" }): Promise<T | undefined>;
export function deadline<T>(parent: Cancellable, at: number, fn: (scope: ScopeContext) => T | PromiseLike<T>, options?: ParentTimeoutOptions): Promise<T>;
/** @deprecated Write `deadline(task, at, (scope) => ...)`: the parent comes first (api-cancellation-source.md). */
export function deadline<T>(at: number, fn: (signal: AbortSignal) => T | PromiseLike<T>, options: MoveOnOptions): Promise<T | undefined>;
/** @deprecated Write `deadline(task, at, (scope) => ...)`: the parent comes first (api-cancellation-source.md). */
export function deadline<T>(at: number, fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: TimeoutOptions): Promise<T>;
export function deadline<T>(first: unknown, second: unknown, third?: unknown, fourth?: unknown): Promise<T | undefined> {
  if (isParentForm(first, second)) {
    const parentClock = sourceOf(first).clock;
    const at = checkInstant("at", second);
    const options = fourth as ParentTimeoutOptions | undefined;
    checkOptions("options", options);
    const clock = checkOptionalClock("clock", options?.clock) ?? parentClock ?? realClock;
    return parentScope(first as Cancellable, Math.max(0, at - clock.now()), third as (scope: ScopeContext) => T, options);
  }
  return deadlineOld(first as number, second as Work<T>, third as TimeoutOptions | undefined);
}

function deadlineOld<T>(at: number, fn: Work<T>, options?: TimeoutOptions): Promise<T | undefined> {
  checkInstant("at", at);
  checkOptions("options", options);
  const clock = checkOptionalClock("clock", options?.clock) ?? realClock;
  return scope(Math.max(0, at - clock.now()), fn, options);
}
