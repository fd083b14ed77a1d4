// Nurseries: every task is started inside one, and a nursery finishes only when all have finished.
//
// Goal. Cancelling a nursery (cancel(), an outside AbortSignal, a failing child or body, its own
// timeout) must tear its tasks down like a stack of `using` declarations: the newest child first,
// each one allowed to finish its cleanup before the next older one is cancelled, the body last.
// Later tasks usually depend on earlier ones (workers on a pool, requests on a connection), so the
// reverse of start order is the order in which they can safely go.
//
// Invariants.
// - Every task in the live list (head..tail, oldest first) has `nursery === this` and is running.
//   A task leaves the list in taskSettled(), the only place a child's outcome is recorded.
// - `reason` is set once: the first trigger wins and every task cancelled afterwards sees that same
//   CancelledError object, which lets a rejection be recognised as "our cancellation" by identity.
// - In "reverse" order at most one child is "current": it was cancelled and we wait for it to
//   settle (or for its childGrace to pass) before cancelling the next older one.
// - The nursery settles once, after the body and every child settled (finishIfDone()).
//
// Designs that do not work. One listener per child on a shared parent signal is O(n) per add and
// remove on Node's EventTarget: O(n^2) overall, 63 s for 100k children. `AbortSignal.any` for
// linkage leaks ~1 KB per call on Node 20. Eager AbortControllers cost ~1 KB per task. So: one
// listener per nursery on its outside signal, an intrusive linked list of live children (O(1)
// unlink, newest = tail), and a child's AbortController created only when its signal is read.
//
// Layout. Past 400 lines on purpose: the lifecycle is one state machine over private fields, and
// splitting it would turn them into shared mutable ones. Section banners mark its parts.
//
// Depth. Cancelling a nursery aborts its newest child's signal, which cancels the nurseries
// opened on it, and so on down: the abort deliveries go through internal/deliver.ts, which keeps
// a 100,000-deep chain off the stack (bench/depth.mjs) without changing the order above.
//
// Known limits. A task that ignores its signal cannot be pre-empted: reverse order then waits for
// it forever unless `childGrace` is finite (run()'s shutdownTimeout bounds the whole shutdown).
// Nested nurseries join the order only when opened with the task's signal as their `signal`.
import { realClock, type Clock, type TimerHandle } from "./clock.js";
import { channels } from "./diagnostics.js";
import { adopt } from "./internal/adopt.js";
import { deliver, type Delivery } from "./internal/deliver.js";
import { CancelledError, NurseryClosedError, NurseryError, StartError, TimeoutError, fromParent, isCancellation } from "./errors.js";
import {
  CANCELLED,
  FULFILLED,
  REJECTED,
  StartTaskImpl,
  TaskImpl,
  deliberate,
  signalOwners,
  type SignalOwner,
  type TaskOwner,
  type TreeNode,
} from "./internal/task-impl.js";
import { checkChoice, checkClock, checkFunction, checkOptionalDuration, checkOptions, checkSignal, checkString } from "./internal/validate.js";
import type { StartContext, Task, TaskContext } from "./task.js";

// ===== Public types =====

/** Options of `nursery()` and `openNursery()`. */
export interface NurseryOptions {
  /** Outside cancellation, e.g. a request's signal or an enclosing task's `signal`. */
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
   * The caller's signal, usually `task.signal` of the task that awaits `start()`. Until the new
   * task calls `started()` it is still the caller's work: this signal aborting cancels it (with the
   * caller's `CancelledError`, by identity) and `start()` rejects with that reason. Already
   * aborted: `start()` rejects with its reason and nothing is started. After `started()` only the
   * nursery cancels it.
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
  /** Cancels the nursery: it then resolves (with the body's value, or `undefined`). Sync, idempotent, never throws. */
  cancel(reason?: unknown): void;
  /** True once any cancellation trigger fired. */
  readonly cancelRequested: boolean;
  /** Live children, oldest first. */
  readonly children: readonly Task<unknown>[];
}

/** `err.cause`, or undefined when reading it throws (a revoked Proxy, a throwing getter). */
function causeOf(err: unknown): unknown {
  try {
    return (err as { cause?: unknown } | null | undefined)?.cause;
  } catch {
    return undefined;
  }
}

const OPEN = 0;
const CLOSING = 1; // body done (or disposed); waiting for children
const CLOSED = 2;

// Why the nursery is cancelled; decides how it settles when there are no real errors.
const BY_SELF = 1;
const BY_TIMEOUT = 2;
const BY_OUTSIDE = 3;
const BY_FAILURE = 4;

export class NurseryImpl implements Nursery, TaskOwner, TreeNode, AsyncDisposable, Delivery {
  readonly name: string;
  readonly clock: Clock;
  readonly bodyOwner: SignalOwner = { inner: undefined, cleanupFailed: (err) => this.#cleanupFailed(err, undefined) };
  readonly #concurrent: boolean;
  readonly #grace: number;
  readonly #timeout: number;
  #phase = OPEN;
  #head: TaskImpl<unknown> | undefined = undefined;
  #tail: TaskImpl<unknown> | undefined = undefined;
  #live = 0;
  #spawned = 0;
  #reason: CancelledError | undefined = undefined;
  #cause = 0;
  #errors: unknown[] | undefined = undefined;
  #seen: WeakSet<object> | undefined = undefined; // the object members of #errors
  #bodyValue: unknown = undefined;
  #bodyController: AbortController | undefined = undefined;
  #bodyReason: CancelledError | undefined = undefined;
  #current: TaskImpl<unknown> | undefined = undefined;
  /** Children whose childGrace ran out while cancelling in reverse order: skipped by #cancelNext. */
  #passed: Set<TaskImpl<unknown>> | undefined = undefined;
  #graceTimer: TimerHandle | undefined = undefined;
  #timeoutTimer: TimerHandle | undefined = undefined;
  #outside: AbortSignal | undefined = undefined;
  #parent: SignalOwner | undefined = undefined;
  #settle: ((ok: boolean, value: unknown) => void) | undefined = undefined;
  #completion: Promise<unknown> | undefined = undefined;
  #outcome: { ok: boolean; value: unknown } | undefined = undefined;

  // ===== Construction and outside cancellation =====

  constructor(options: NurseryOptions | undefined) {
    checkOptions("options", options);
    const name = options?.name;
    if (name !== undefined) checkString("name", name);
    const order = options?.cancelOrder;
    if (order !== undefined) checkChoice("cancelOrder", order, "reverse", "concurrent");
    const clock = options?.clock;
    if (clock !== undefined) checkClock("clock", clock);
    const signal = options?.signal;
    if (signal !== undefined) checkSignal("signal", signal);
    this.#grace = checkOptionalDuration("childGrace", options?.childGrace);
    this.#timeout = checkOptionalDuration("timeout", options?.timeout);
    this.name = name ?? "nursery";
    this.clock = clock ?? realClock;
    this.#concurrent = order === "concurrent";

    // The timer first: a clock that throws must leave nothing registered (hostile.test.ts, "clock").
    if (this.#timeout !== Infinity && this.#timeout !== 0 && signal?.aborted !== true) {
      this.#timeoutTimer = this.clock.setTimer(this.#timeout, () => {
        this.#timeoutTimer = undefined;
        this.#trigger(this.#deadlineReason(), BY_TIMEOUT);
      });
    }
    if (signal !== undefined) {
      const parent = signalOwners.get(signal);
      if (parent !== undefined) {
        this.#parent = parent;
        (parent.inner ??= new Set()).add(this);
      }
      if (signal.aborted) {
        this.#trigger(fromParent(signal.reason, this.name), BY_OUTSIDE);
      } else {
        this.#outside = signal;
        signal.addEventListener("abort", this);
      }
    }
    // A deadline due on entry is passed before the body runs, so its first checkpoint sees it
    // (a 0 ms timer would race the body's first turn). Test: nursery.test.ts, "regression: a
    // nursery whose timeout is 0 is cancelled at its first checkpoint, every time".
    if (this.#timeout === 0) this.#trigger(this.#deadlineReason(), BY_TIMEOUT);
  }

  #deadlineReason(): CancelledError {
    return new CancelledError({ source: "deadline", detail: this.#timeout, nursery: this.name });
  }

  /** The outside signal's abort listener (the nursery is its own EventListener object). */
  handleEvent(): void {
    const signal = this.#outside;
    if (signal !== undefined) this.#trigger(fromParent(signal.reason, this.name), BY_OUTSIDE);
  }

  get signal(): AbortSignal {
    let controller = this.#bodyController;
    if (controller === undefined) {
      controller = this.#bodyController = new AbortController();
      if (this.#bodyReason !== undefined) controller.abort(this.#bodyReason);
      signalOwners.set(controller.signal, this.bodyOwner);
    }
    return controller.signal;
  }

  get cancelRequested(): boolean {
    return this.#reason !== undefined;
  }

  get children(): readonly Task<unknown>[] {
    const out: Task<unknown>[] = [];
    for (let t = this.#head; t !== undefined; t = t.next) out.push(t);
    return out;
  }

  // ===== Spawning =====

  spawn<T>(fn: (task: TaskContext) => T | PromiseLike<T>, options?: { name?: string }): Task<T> {
    checkFunction("fn", fn);
    const name = this.#checkSpawn(options);
    const index = ++this.#spawned; // counts every spawn, so `task-<n>` is the nth child
    const task = new TaskImpl<T>(this, fn, name ?? index);
    this.#link(task);
    task.begin();
    return task;
  }

  start<T = void>(fn: (task: StartContext<T>) => unknown, options?: StartOptions): Promise<T> {
    checkFunction("fn", fn);
    const name = this.#checkSpawn(options);
    const caller = options?.signal;
    if (caller !== undefined) {
      checkSignal("signal", caller);
      // The same CancelledError whether the caller's signal aborted before or during start().
      if (caller.aborted) return Promise.reject(fromParent(caller.reason, this.name));
    }
    return new Promise<T>((resolve, reject) => {
      const index = ++this.#spawned;
      const task = new StartTaskImpl<T>(this, fn, name ?? index, resolve, reject);
      this.#link(task);
      if (caller !== undefined) task.followCaller(caller);
      task.begin();
    });
  }

  #checkSpawn(options: { name?: string } | undefined): string | undefined {
    if (options !== undefined) {
      checkOptions("options", options);
      if (options.name !== undefined) checkString("name", options.name);
    }
    if (this.#phase === CLOSED) throw new NurseryClosedError(this.name);
    return options?.name;
  }

  #link(task: TaskImpl<unknown>): void {
    const tail = this.#tail;
    if (tail === undefined) this.#head = task;
    else {
      tail.next = task;
      task.prev = tail;
    }
    this.#tail = task;
    this.#live++;
    if (this.#reason !== undefined) task.cancelReason = this.#reason;
    if (channels.spawn.hasSubscribers) channels.spawn.publish({ task, nursery: this });
  }

  // ===== Cancellation: first reason wins, then newest child first =====

  cancel(reason?: unknown): void {
    if (this.#reason !== undefined || this.#phase === CLOSED) return;
    this.#trigger(new CancelledError({ source: "explicit", detail: reason, nursery: this.name }), BY_SELF);
  }

  /** Starts cancellation with `reason` unless a reason is already set (the first one wins). */
  #trigger(reason: CancelledError, cause: number): void {
    if (this.#reason !== undefined || this.#phase === CLOSED) return;
    this.#reason = reason;
    this.#cause = cause;
    if (channels.cancel.hasSubscribers) channels.cancel.publish({ nursery: this, task: undefined, reason });
    this.#clearTimeout();
    if (this.#concurrent) {
      for (let t = this.#head; t !== undefined; t = t.next) t.abort(reason);
      this.#abortBody();
    } else {
      this.#cancelNext();
    }
    this.#finishIfDone();
  }

  /** Reverse order: cancel the newest live child not yet given up on, or the body when none is left. */
  #cancelNext(): void {
    if (this.#graceTimer !== undefined) {
      this.clock.clearTimer(this.#graceTimer);
      this.#graceTimer = undefined;
    }
    let t = this.#tail;
    while (t !== undefined && this.#passed?.has(t) === true) t = t.prev;
    this.#current = t;
    if (t === undefined) {
      this.#abortBody();
      return;
    }
    t.abort(this.#reason as CancelledError);
    if (this.#grace !== Infinity && this.#current === t && t.code === 0) {
      this.#graceTimer = this.clock.setTimer(this.#grace, () => {
        this.#graceTimer = undefined;
        (this.#passed ??= new Set()).add(t);
        if (this.#current === t) this.#cancelNext();
      });
    }
  }

  #abortBody(): void {
    if (this.#bodyReason !== undefined) return;
    this.#bodyReason = this.#reason;
    if (this.#bodyController !== undefined) deliver(this);
  }

  /** Delivers the body's cancellation (see internal/deliver.ts); a no-op once delivered. */
  deliverAbort(): void {
    const controller = this.#bodyController;
    if (controller !== undefined && !controller.signal.aborted) controller.abort(this.#bodyReason);
  }

  // ===== Cleanup errors: callbacks the library ran during cancellation =====

  taskCleanupFailed(task: TaskImpl<unknown>, err: unknown): void {
    this.#cleanupFailed(err, task.name);
  }

  /**
   * An `onCancel` hook of a task or of the body threw: a real error of this nursery, listed in its
   * NurseryError like a failing task. Hooks run only while their task (or the body's cancellation)
   * is pending, so the nursery is still open; if it ever were not, the error is thrown where
   * nothing can swallow it rather than lost.
   */
  #cleanupFailed(err: unknown, task: string | undefined): void {
    if (this.#phase === CLOSED) {
      queueMicrotask(() => {
        throw err;
      });
      return;
    }
    this.#fail(err, task);
  }

  // ===== Settlement: children, body, the nursery's own outcome =====

  /** Records a child's outcome; the single exit point of a task from the live list. */
  taskSettled(task: TaskImpl<unknown>, ok: boolean, value: unknown): void {
    const prev = task.prev;
    const next = task.next;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    task.prev = task.next = undefined;
    this.#passed?.delete(task);
    this.#live--;
    task.outcome = value;

    const start = task instanceof StartTaskImpl && task.starting ? task : undefined;
    if (ok) {
      task.code = FULFILLED;
      if (start !== undefined) this.#failStart(start, new StartError("ERR_NOT_STARTED", task.name));
    } else if (this.#isCancellation(task.cancelReason, value)) {
      task.code = CANCELLED;
      if (start !== undefined) this.#failStart(start, value);
    } else {
      task.code = REJECTED;
      if (start !== undefined) this.#failStart(start, value);
      else this.#fail(value, task.name);
    }
    if (channels.settle.hasSubscribers) {
      channels.settle.publish({ task, nursery: this, state: task.state, outcome: value });
    }
    if (this.#current === task) this.#cancelNext();
    this.#finishIfDone();
  }

  #failStart(task: StartTaskImpl<unknown>, err: unknown): void {
    task.unfollowCaller();
    const reject = task.rejectStart as (err: unknown) => void;
    task.resolveStart = task.rejectStart = undefined;
    reject(err);
  }

  /**
   * A rejection is a cancellation, not an error, when it is:
   * - this nursery's reason or the task's own (by identity);
   * - a cancellation-shaped error (`isCancellation`) while the task's own signal was aborted, or
   *   one that wraps this nursery's reason in `.cause`, as Node's AbortError does;
   * - the CancelledError of a task cancelled on purpose with `Task.cancel()`, rethrown by whoever
   *   awaited that task (`c.cancel(); await c`, effection's `halt()`).
   * Nothing else: an error that merely carries a reason as its `cause` ("flush failed during
   * cancel") is a real error, and so is an unrelated AbortError. Test: nursery.test.ts,
   * "regression: a real error whose cause is the cancellation reason is reported".
   */
  #isCancellation(own: CancelledError | undefined, err: unknown): boolean {
    const reason = this.#reason;
    if (err === undefined) return false;
    if (err === reason || err === own) return true;
    if (!isCancellation(err)) return false;
    if (own !== undefined) return true;
    if (reason !== undefined && causeOf(err) === reason) return true;
    return deliberate.has(err as CancelledError);
  }

  #fail(err: unknown, task: string | undefined): void {
    // Each error once: a body or task that rethrows a sibling's error (`await task`) adds nothing.
    // Only objects are recognised; two tasks throwing the same string are two failures.
    // Test: property.test.ts, "regression: a body that rethrows an awaited child's error".
    if ((typeof err === "object" && err !== null) || typeof err === "function") {
      const seen = (this.#seen ??= new WeakSet());
      if (seen.has(err)) return;
      seen.add(err);
    }
    (this.#errors ??= []).push(err);
    this.#trigger(
      new CancelledError({ source: "sibling-failed", detail: err, nursery: this.name, task }),
      BY_FAILURE,
    );
  }

  /** Runs the body of `nursery()`; its value is what the nursery resolves with. */
  runBody(body: (n: Nursery) => unknown): void {
    let result: unknown;
    let promise: Promise<unknown> | undefined;
    try {
      result = body(this);
      promise = adopt(result);
    } catch (err) {
      this.#bodySettled(false, err);
      return;
    }
    if (promise === undefined) this.#bodySettled(true, result);
    else promise.then((value) => this.#bodySettled(true, value), (err: unknown) => this.#bodySettled(false, err));
  }

  #bodySettled(ok: boolean, value: unknown): void {
    if (this.#phase !== OPEN) return;
    this.#phase = CLOSING;
    if (ok) this.#bodyValue = value;
    else if (!this.#isCancellation(this.#bodyReason, value)) this.#fail(value, undefined);
    this.#finishIfDone();
  }

  #finishIfDone(): void {
    if (this.#phase !== CLOSING || this.#live !== 0) return;
    // The body's cancellation may still be queued for delivery (internal/deliver.ts): deliver it
    // now, while a hook that throws can still be reported.
    if (this.#bodyReason !== undefined) this.deliverAbort();
    if (this.#phase !== CLOSING || this.#live !== 0) return;
    this.#phase = CLOSED;
    this.#clearTimeout();
    if (this.#graceTimer !== undefined) {
      this.clock.clearTimer(this.#graceTimer);
      this.#graceTimer = undefined;
    }
    const outside = this.#outside;
    if (outside !== undefined) {
      outside.removeEventListener("abort", this);
      this.#outside = undefined;
    }
    this.#parent?.inner?.delete(this);
    this.#parent = undefined;
    // A cancellation from outside that came after another cause (the timeout, cancel()) still
    // wins over it: the outermost cancelled scope catches, so the caller sees its own reason.
    const outer = this.#cause === BY_OUTSIDE ? this.#reason : outside?.aborted === true ? fromParent(outside.reason, this.name) : undefined;
    const timedOut = this.#cause === BY_TIMEOUT ? new TimeoutError(this.#timeout, this.name) : undefined;
    const errors = this.#errors;
    let outcome: { ok: boolean; value: unknown };
    // Real errors win. When the nursery's own deadline had passed, its TimeoutError is kept as the
    // cause. An outer cancellation is not: the enclosing nursery reads an error whose cause is its
    // own reason as a cancellation, and the outer signal stays aborted anyway.
    if (errors !== undefined) outcome = { ok: false, value: new NurseryError(errors, this.name, { cause: timedOut }) };
    else if (outer !== undefined) outcome = { ok: false, value: outer };
    else if (timedOut !== undefined) outcome = { ok: false, value: timedOut };
    else outcome = { ok: true, value: this.#bodyValue };
    this.#outcome = outcome;
    this.#settle?.(outcome.ok, outcome.value);
  }

  #clearTimeout(): void {
    if (this.#timeoutTimer !== undefined) {
      this.clock.clearTimer(this.#timeoutTimer);
      this.#timeoutTimer = undefined;
    }
  }

  /** The nursery's outcome, created on first request so an unobserved nursery cannot leak a rejection. */
  completion(): Promise<unknown> {
    if (this.#completion === undefined) {
      const outcome = this.#outcome;
      if (outcome !== undefined) {
        this.#completion = outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.value);
      } else {
        this.#completion = new Promise((resolve, reject) => {
          this.#settle = (ok, value) => (ok ? resolve(value) : reject(value));
        });
      }
    }
    return this.#completion;
  }

  /** `await using`: marks the end of the block (the body) and waits for every child. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#bodySettled(true, undefined);
    return this.completion() as Promise<void>;
  }

  get [Symbol.toStringTag](): string {
    return "Nursery";
  }
}

// ===== Entry points =====

/**
 * Runs `body` with a new nursery and settles once the body and every task it spawned have settled.
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
 * const pages = await nursery(async (n) => {
 *   const a = n.spawn(({ signal }) => fetch(urlA, { signal }));
 *   const b = n.spawn(({ signal }) => fetch(urlB, { signal }));
 *   return [await a, await b];
 * }, { name: "pages", timeout: 5_000 });
 * ```
 */
export function nursery<T>(body: (n: Nursery) => T | PromiseLike<T>, options?: NurseryOptions): Promise<T> {
  checkFunction("body", body);
  const n = new NurseryImpl(options);
  n.runBody(body);
  return n.completion() as Promise<T>;
}

/**
 * Opens a nursery for `await using`: when the block ends, disposal waits for every child and
 * rejects with `NurseryError` if any failed. Code in the block should use `n.signal`.
 *
 * An error thrown by the block itself is not visible to disposal (JavaScript does not pass it on),
 * so disposal still waits for the children; call `n.cancel()` in a `catch` if they must stop then,
 * or use {@link nursery}, which sees the body's error.
 *
 * @example
 * ```ts
 * {
 *   await using n = openNursery({ name: "workers" });
 *   n.spawn(worker);
 *   n.spawn(worker);
 * } // waits for both workers here
 * ```
 */
export function openNursery(options?: NurseryOptions): Nursery & AsyncDisposable {
  return new NurseryImpl(options);
}
