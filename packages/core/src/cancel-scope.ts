// Cancel scopes and deadlines (trio's move_on_after / fail_after / shield, for promises).
//
// Invariant: a scope catches only its own cancellation. Its signal aborts with the first of its own
// deadline and the outer signal; a rejection is swallowed (moveOnAfter) or turned into a
// TimeoutError (failAfter) only when the scope's own deadline was that first reason. An outer
// cancellation passes through untouched, so `failAfter` inside a cancelled nursery rethrows the
// nursery's CancelledError, never a TimeoutError. When both fired (the deadline first, then the
// outer signal before `fn` settled), the outer one wins: the outermost cancelled scope catches.
// An outer cancellation always rejects in one form, whenever it came (before entry, while `fn`
// ran, after the deadline): fromParent(outer.reason), i.e. the enclosing nursery's CancelledError
// by identity, or a CancelledError of source "parent" wrapping a foreign reason. A deadline of
// 0 ms is due on entry: it is passed as soon as `fn` has started. Aborts are delivered through
// internal/deliver.ts, so nested scopes cancel without recursion at any depth.
import { realClock, type Clock, type TimerHandle } from "./clock.js";
import { CancelledError, TimeoutError, fromParent, isCancellation } from "./errors.js";
import { deliver, type Delivery } from "./internal/deliver.js";
import { checkParent, clockOf, isCancellable, ownerOf, taskOf } from "./internal/parent.js";
import { cancelReasonOf, onCancel, type Cancellable } from "./on-cancel.js";
import { isAbortSignal } from "./is-abort-signal.js";
import { ScopeContextImpl, type ScopeContext } from "./scope-context.js";
import type { TaskState } from "./task.js";
import { checkBoolean, checkClock, checkDuration, checkFunction, checkOptionalDuration, checkOptions, checkSignal, checkString, invalid } from "./internal/validate.js";

/** Options of {@link moveOnAfter}, {@link failAfter} and {@link shield}. */
export interface ScopeOptions {
  /** Outer cancellation, usually the task's `signal`. Ignored when `shield` is true. */
  signal?: AbortSignal;
  /** Ignore outer cancellation; only the scope's own deadline cancels it. */
  shield?: boolean;
  /** Source of time for the deadline. Default `realClock`. */
  clock?: Clock;
  /** Names the scope in cancellation messages and `TimeoutError`s. */
  name?: string;
}

const MOVE_ON = 0;
const FAIL = 1;

/**
 * One scope's state: its controller, the reason it was cancelled with (decided at once, delivered
 * through internal/deliver.ts so nested scopes do not recurse), and the link to its outer
 * cancellation (a listener on the outer signal, or a hook on the parent task or scope context).
 */
class Scope implements Delivery {
  readonly controller = new AbortController();
  /** Removes the link to the outer cancellation; undefined without one. */
  readonly #unlink: (() => void) | undefined;
  /** The first reason: the deadline's or the outer one. */
  reason: CancelledError | undefined = undefined;
  /** The outer cancellation as this scope reports it, once the outer signal aborted. */
  outerReason: CancelledError | undefined = undefined;
  /** The deadline's reason, once the deadline passed (whether or not it was first). */
  deadline: CancelledError | undefined = undefined;

  constructor(outer: Cancellable | undefined, name: string | undefined) {
    const onOuterCancel = (reason: unknown): void => {
      this.outerReason = fromParent(reason, name);
      this.cancel(this.outerReason);
    };
    if (outer === undefined) {
      this.#unlink = undefined;
    } else if (isAbortSignal(outer)) {
      const onAbort = (): void => onOuterCancel(outer.reason);
      outer.addEventListener("abort", onAbort);
      this.#unlink = () => outer.removeEventListener("abort", onAbort);
    } else {
      // A task is hooked directly, creating no AbortSignal (onCancel); a scope context through its signal.
      this.#unlink = onCancel(outer, onOuterCancel);
    }
  }

  cancel(reason: CancelledError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    deliver(this);
  }

  deliverAbort(): void {
    this.controller.abort(this.reason);
  }

  close(): void {
    this.#unlink?.();
  }
}

async function runScope<T>(
  mode: number,
  ms: number,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  outer: Cancellable | undefined,
  options: { clock?: Clock; name?: string } | undefined,
  context?: (signal: AbortSignal) => ScopeContextImpl,
): Promise<T | undefined> {
  const name = options?.name;
  // One rule for an outer cancellation, whenever it comes (before entry, while `fn` runs, after the
  // deadline): the scope rejects with fromParent(outer.reason), the enclosing nursery's
  // CancelledError itself or one of source "parent" wrapping a foreign reason.
  const early = outer === undefined ? undefined : cancelReasonOf(outer);
  if (early !== undefined) throw fromParent(early, name);
  const clock = options?.clock ?? realClock;
  const scope = new Scope(outer, name);
  // The new forms hand `fn` a scope context (scope-context.ts), the old ones the bare signal.
  const ctx = context?.(scope.controller.signal);
  let state: TaskState = "rejected";
  let timer: TimerHandle | undefined;
  if (ms !== Infinity && ms !== 0) {
    timer = clock.setTimer(ms, () => {
      timer = undefined;
      if (scope.reason !== undefined) return;
      scope.deadline = new CancelledError({ source: "deadline", detail: ms, nursery: name });
      scope.cancel(scope.deadline);
    });
  }
  try {
    const result = (fn as (arg: unknown) => T | PromiseLike<T>)(ctx ?? scope.controller.signal);
    if (ms === 0) {
      // Due on entry: cancelled as soon as `fn` has started (its listeners are in place), before
      // anything it awaits can resume, so its first checkpoint sees it (a 0 ms timer would race
      // it). Test: cancel-scope.test.ts, "regression: moveOnAfter(0) is cancelled at its first
      // checkpoint, every time".
      scope.deadline = new CancelledError({ source: "deadline", detail: ms, nursery: name });
      scope.cancel(scope.deadline);
    }
    const value = await result;
    state = "fulfilled";
    return value;
  } catch (err) {
    const reason = scope.reason;
    if (reason !== undefined && isOwn(err, reason)) {
      state = "cancelled";
      // The outer signal aborted (first, or after the deadline): the outermost cancelled scope
      // catches, as in trio, so the outer cancellation passes through, always in the same form.
      if (scope.outerReason !== undefined) throw scope.outerReason;
      if (mode === MOVE_ON) return undefined;
      throw new TimeoutError(ms, name, { cause: err });
    }
    throw err;
  } finally {
    if (timer !== undefined) clock.clearTimer(timer);
    scope.close();
    if (ctx !== undefined) ctx.state = state;
  }
}

/**
 * `err` is the scope's cancellation: its reason, or a cancellation-shaped error (Node's AbortError
 * wraps the reason in `cause`). An error that only carries the reason as its `cause` is real.
 */
function isOwn(err: unknown, reason: CancelledError): boolean {
  return err === reason || isCancellation(err);
}

/** The options every scope reads, checked last (after `shield`). */
function checkNameAndClock(options: { clock?: Clock; name?: string } | undefined): void {
  if (options?.name !== undefined) checkString("name", options.name);
  if (options?.clock !== undefined) checkClock("clock", options.clock);
}

/** moveOnAfter and failAfter: checks their arguments and runs the scope. */
function deadlineScope<T>(
  mode: number,
  ms: number,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  options: ScopeOptions | undefined,
): Promise<T | undefined> {
  checkDuration("ms", ms);
  checkFunction("fn", fn);
  checkOptions("options", options);
  if (options?.signal !== undefined) checkSignal("signal", options.signal);
  if (options?.shield !== undefined) checkBoolean("shield", options.shield);
  checkNameAndClock(options);
  return runScope(mode, ms, fn, options?.shield === true ? undefined : options?.signal, options);
}

/**
 * Runs `fn` in a cancel scope under `parent` (a task, a scope context or a signal) whose deadline is
 * `ms` from now; if the deadline cancels it, resolves with `undefined` instead of failing. `fn`
 * gets a {@link ScopeContext}: pass it first to what it runs. The older `moveOnAfter(ms, fn,
 * { signal })` hands `fn` a bare signal and is deprecated. For work that is optional past a point ("refresh the cache if
 * it takes under 200 ms").
 *
 * - Success: resolves with `fn`'s value (also when `fn` ignored the deadline and finished late).
 * - Error: rejects with `fn`'s error.
 * - Cancellation: an outer `signal` aborting (before entry, while `fn` runs, or after the
 *   deadline) rejects with a `CancelledError`: the outer one itself when the signal is a task's or
 *   nursery's, else one of source `"parent"` with the signal's reason as `detail`. Never swallowed.
 * - `ms` 0: the deadline is due on entry; `fn`'s signal aborts as soon as `fn` has started.
 *
 * @example
 * ```ts
 * const fresh = await moveOnAfter(task, 200, (scope) => fetchPrices(scope));
 * if (fresh === undefined) usePrevious();
 * ```
 */
/** @deprecated Write `moveOnAfter(task, ms, (scope) => ...)`: the parent comes first (api-cancellation-source.md). */
export function moveOnAfter<T>(ms: number, fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: ScopeOptions): Promise<T | undefined>;
export function moveOnAfter<T>(
  parent: Cancellable,
  ms: number,
  fn: (scope: ScopeContext) => T | PromiseLike<T>,
  options?: ParentScopeOptions,
): Promise<T | undefined>;
export function moveOnAfter<T>(first: unknown, ...rest: unknown[]): Promise<T | undefined> {
  if (isParentForm(first, rest[0])) return parentScope<T>(MOVE_ON, first, rest[0], rest[1], rest[2]);
  return deadlineScope(MOVE_ON, first as number, rest[0] as (signal: AbortSignal) => T, rest[1] as ScopeOptions | undefined);
}

/**
 * Runs `fn` in a cancel scope under `parent` whose deadline is `ms` from now (`fn` gets a
 * {@link ScopeContext}; the older `failAfter(ms, fn, { signal })` is deprecated); if the deadline
 * cancels it, rejects with `TimeoutError` (code `ERR_TIMEOUT`, `cause`: what `fn` rejected with).
 *
 * - Success: resolves with `fn`'s value.
 * - Error: rejects with `fn`'s error.
 * - Cancellation: an outer `signal` aborting (before entry, while `fn` runs, or after the
 *   deadline) rejects with a `CancelledError`, as for {@link moveOnAfter}, never a `TimeoutError`.
 * - `ms` 0: the deadline is due on entry; `fn`'s signal aborts as soon as `fn` has started.
 *
 * @example
 * ```ts
 * const user = await failAfter(task, 5_000, (scope) => fetchUser(id, scope));
 * ```
 */
/** @deprecated Write `failAfter(task, ms, (scope) => ...)`: the parent comes first (api-cancellation-source.md). */
export function failAfter<T>(ms: number, fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: ScopeOptions): Promise<T>;
export function failAfter<T>(
  parent: Cancellable,
  ms: number,
  fn: (scope: ScopeContext) => T | PromiseLike<T>,
  options?: ParentScopeOptions,
): Promise<T>;
export function failAfter<T>(first: unknown, ...rest: unknown[]): Promise<T> {
  if (isParentForm(first, rest[0])) return parentScope<T>(FAIL, first, rest[0], rest[1], rest[2]) as Promise<T>;
  return deadlineScope(FAIL, first as number, rest[0] as (signal: AbortSignal) => T, rest[1] as ScopeOptions | undefined) as Promise<T>;
}

/**
 * Runs `fn` shielded from outer cancellation, for cleanup that must finish (flush a log, commit a
 * checkpoint) even while everything around it is being cancelled. Give it a `timeout` so a hung
 * cleanup cannot block shutdown: past it, `fn`'s signal aborts and `shield` rejects `TimeoutError`.
 *
 * @example
 * ```ts
 * finally { await shield(task, (scope) => db.flush({ signal: scope.signal }), { timeout: 2_000 }) }
 * ```
 */
/** @deprecated Write `shield(task, (scope) => ...)`: the parent comes first and the scope sits under it (api-cancellation-source.md). */
export function shield<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: { timeout?: number; clock?: Clock; name?: string }): Promise<T>;
export function shield<T>(
  parent: Cancellable,
  fn: (scope: ScopeContext) => T | PromiseLike<T>,
  options?: { timeout?: number; clock?: Clock; name?: string },
): Promise<T>;
export function shield<T>(first: unknown, second?: unknown, third?: unknown): Promise<T> {
  if (typeof first === "function" || typeof second !== "function") return shieldOld(first as (signal: AbortSignal) => T, second as ShieldOptions | undefined);
  const parent = checkParent("parent", first);
  const options = third as ShieldOptions | undefined;
  checkOptions("options", options);
  const timeout = checkOptionalDuration("timeout", options?.timeout);
  checkFunction("fn", second);
  checkNameAndClock(options);
  const clock = options?.clock ?? clockOf(parent) ?? realClock;
  // Shielded: the parent's cancellation is not followed; the parent only places the scope in the tree.
  return runScope(FAIL, timeout, second as (signal: AbortSignal) => T, undefined, { ...options, clock }, contextFor(parent, options?.name, clock)) as Promise<T>;
}

type ShieldOptions = { timeout?: number; clock?: Clock; name?: string };

function shieldOld<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: ShieldOptions): Promise<T> {
  checkOptions("options", options);
  const timeout = checkOptionalDuration("timeout", options?.timeout);
  checkFunction("fn", fn);
  checkNameAndClock(options);
  return runScope(FAIL, timeout, fn, undefined, options) as Promise<T>;
}

const yieldTurn: (resume: () => void) => void =
  typeof setImmediate === "function" ? (resume) => setImmediate(resume) : (resume) => setTimeout(resume, 0);

/**
 * Yields to the event loop (so I/O and other tasks run) and throws the signal's reason if it is
 * aborted before or after. Put it in long synchronous-ish loops so they stay cancellable.
 *
 * @example
 * ```ts
 * for (const row of rows) { transform(row); if (++i % 1000 === 0) await checkpoint(task) }
 * ```
 */
export function checkpoint(source: Cancellable): Promise<void> {
  // Bad input throws synchronously, as everywhere else; cancellation is a rejection.
  if (isAbortSignal(source)) return yieldThenCheck(source);
  // An AbortController has a `signal`, but passing the controller is a slip for its signal (and
  // was refused before checkpoint() took any Cancellable): refused as not a signal.
  if (!isCancellable(source) || (typeof AbortController === "function" && source instanceof AbortController)) checkSignal("signal", source);
  return yieldThenCheckSource(source);
}

async function yieldThenCheckSource(source: Cancellable): Promise<void> {
  let reason = cancelReasonOf(source);
  // The reason itself, as signal.throwIfAborted() throws it: for a task, its CancelledError.
  if (reason !== undefined) throw reason as Error;
  await new Promise<void>(yieldTurn);
  reason = cancelReasonOf(source);
  if (reason !== undefined) throw reason as Error;
}

async function yieldThenCheck(signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  await new Promise<void>(yieldTurn);
  signal.throwIfAborted();
}

// ===== Scopes opened from a parent: moveOnAfter(task, ms, fn), failAfter(task, ...), shield(task, ...) =====

/** Options of the scopes opened from a parent: {@link ScopeOptions} without `signal` (the parent is the first argument). */
export type ParentScopeOptions = Omit<ScopeOptions, "signal">;

/**
 * The new forms start with a parent, the old ones with `ms`. Anything else is read as the form its
 * second argument fits, so a bad first argument is named as what the caller meant.
 */
function isParentForm(first: unknown, second: unknown): boolean {
  return isCancellable(first) || (typeof first !== "number" && typeof second === "number");
}

function contextFor(parent: Cancellable, name: string | undefined, clock: Clock): (signal: AbortSignal) => ScopeContextImpl {
  return (signal) => new ScopeContextImpl(signal, name ?? "scope", clock, taskOf(parent), ownerOf(parent));
}

function parentScope<T>(mode: number, first: unknown, ms: unknown, fn: unknown, options: unknown): Promise<T | undefined> {
  const parent = checkParent("parent", first);
  checkDuration("ms", ms);
  checkFunction("fn", fn);
  checkOptions("options", options);
  const opts = options as ScopeOptions | undefined;
  if (opts?.signal !== undefined) throw invalid("signal", "left out (the parent, the first argument, cancels the scope)", opts.signal);
  if (opts?.shield !== undefined) checkBoolean("shield", opts.shield);
  checkNameAndClock(opts);
  const clock = opts?.clock ?? clockOf(parent) ?? realClock;
  const outer = opts?.shield === true ? undefined : parent;
  return runScope(mode, ms as number, fn as (signal: AbortSignal) => T, outer, { ...opts, clock }, contextFor(parent, opts?.name, clock));
}
