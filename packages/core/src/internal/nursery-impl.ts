// NurseryImpl, what `nursery()` and `openNursery()` (nursery.ts) return: every task is started
// inside one, and a nursery finishes only when all have finished.
//
// Goal. Cancelling a nursery (cancel(), an outside AbortSignal, a failing child or body, its own
// timeout) must tear its tasks down like a stack of `using` declarations: the newest child first,
// each one allowed to finish its cleanup before the next older one is cancelled, the body last.
// Later tasks usually depend on earlier ones (workers on a pool, requests on a connection), so the
// reverse of start order is the order in which they can safely go.
//
// Who does what. The nursery decides the order in which its tasks are cancelled and, at the end,
// its own outcome; nothing else. A task runs, is cancelled and records how it ended itself
// (task-impl.ts: abort, settle, failStart); the live-children list owns its links
// (child-list.ts); the body's signal is its own object (nursery-body.ts); the outcome is a pure
// function of what happened (nursery-outcome.ts).
//
// Invariants.
// - Every task in `#children` (oldest first) has `nursery === this` and is running. A task
//   leaves it in childSettled(), which the task calls once it has recorded its end.
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
// Depth. Cancelling a nursery aborts its newest child's signal, which cancels the nurseries
// opened on it, and so on down: the abort deliveries go through deliver.ts, which keeps
// a 100,000-deep chain off the stack (bench/depth.mjs) without changing the order above.
//
// Known limits. A task that ignores its signal cannot be pre-empted: reverse order then waits for
// it forever unless `childGrace` is finite (run()'s shutdownTimeout bounds the whole shutdown).
// Nested nurseries join the order only when opened with their task (`nursery(task, body)`) or its signal.
import { realClock, type Clock, type TimerHandle } from "../clock.js";
import { channels } from "../diagnostics.js";
import { CancelledError, NurseryClosedError, fromParent } from "../errors.js";
import type { Nursery, NurseryOptions, StartOptions } from "../nursery.js";
import type { StartContext, Task, TaskContext } from "../task.js";
import { adopt } from "./adopt.js";
import { ChildList } from "./child-list.js";
import { Completion } from "./completion.js";
import { ErrorList } from "./error-list.js";
import { NurseryBody } from "./nursery-body.js";
import { decideOutcome, type CancelTrigger } from "./nursery-outcome.js";
import { isOwnCancellation } from "./own-cancellation.js";
import { signalOwners, type SignalOwner, type TreeNode } from "./signal-owner.js";
import { StartTaskImpl, TaskImpl, type TaskOwner } from "./task-impl.js";
import { checkChoice, checkClock, checkFunction, checkOptionalDuration, checkOptions, checkSignal, checkString, invalid } from "./validate.js";
import { checkParent, linkParent, type ParentLink } from "./parent.js";
import { cancelReasonOf, type Cancellable } from "../on-cancel.js";
import { isAbortSignal } from "../is-abort-signal.js";

const OPEN = 0;
const CLOSING = 1; // body done (or disposed); waiting for children
const CLOSED = 2;

export class NurseryImpl implements Nursery, TaskOwner, TreeNode, AsyncDisposable {
  readonly name: string;
  readonly clock: Clock;
  readonly body: NurseryBody = new NurseryBody((err) => this.cleanupFailed(err, undefined));
  readonly #concurrent: boolean;
  readonly #grace: number;
  readonly #timeout: number;
  #phase = OPEN;
  readonly #children = new ChildList<TaskImpl<unknown>>();
  #spawned = 0;
  /** The first trigger's reason: every task cancelled from now on sees this one object. */
  cancelReason: CancelledError | undefined;
  /** Which trigger fired first; with the errors, decides the outcome (nursery-outcome.ts). */
  #cancelledBy: CancelTrigger | undefined;
  readonly #errors = new ErrorList();
  #bodyValue: unknown;
  #current: TaskImpl<unknown> | undefined;
  /** Children whose childGrace ran out while cancelling in reverse order: skipped by #cancelNext. */
  #passed: Set<TaskImpl<unknown>> | undefined;
  #graceTimer: TimerHandle | undefined;
  #timeoutTimer: TimerHandle | undefined;
  #outside: AbortSignal | undefined;
  /** The one listener on the outside signal: one per nursery, never one per child (see the header). */
  #onOutsideAbort: (() => void) | undefined;
  #parent: SignalOwner | undefined;
  readonly #completion = new Completion();

  // ===== Construction and outside cancellation =====

  /** The link to the first argument of `nursery(parent, body)` (parent.ts). */
  #parentLink: ParentLink | undefined;

  constructor(options: NurseryOptions | undefined, parent?: Cancellable) {
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
        this.#beginCancel(this.#deadlineReason(), "timeout");
      });
    }
    if (signal !== undefined) {
      const parent = signalOwners.get(signal);
      if (parent !== undefined) {
        this.#parent = parent;
        (parent.nested ??= new Set()).add(this);
      }
      if (signal.aborted) {
        this.#beginCancel(fromParent(signal.reason, this.name), "outside");
      } else {
        this.#outside = signal;
        this.#onOutsideAbort = () => this.#beginCancel(fromParent(signal.reason, this.name), "outside");
        signal.addEventListener("abort", this.#onOutsideAbort);
      }
    }
    // A deadline due on entry is passed before the body runs, so its first checkpoint sees it
    // (a 0 ms timer would race the body's first turn). Test: nursery.test.ts, "regression: a
    // nursery whose timeout is 0 is cancelled at its first checkpoint, every time".
    if (this.#timeout === 0) this.#beginCancel(this.#deadlineReason(), "timeout");
    // `nursery(parent, body)`: a task is followed through a cancel hook, with no AbortSignal.
    if (parent !== undefined) {
      this.#parentLink = linkParent(this, parent, (reason) => this.#beginCancel(fromParent(reason, this.name), "outside"));
    }
    if (channels.open.hasSubscribers) channels.open.publish({ nursery: this });
  }

  #deadlineReason(): CancelledError {
    return new CancelledError({ source: "deadline", detail: this.#timeout, nursery: this.name });
  }

  get signal(): AbortSignal {
    return this.body.signal;
  }

  get cancelRequested(): boolean {
    return this.cancelReason !== undefined;
  }

  get children(): readonly Task<unknown>[] {
    const out: Task<unknown>[] = [];
    this.#children.forEach((t) => out.push(t));
    return out;
  }

  // ===== Spawning =====

  // The methods also work destructured (`nursery(async ({ spawn }) => ...)`): each getter makes
  // its closure on first read and keeps it, one per nursery, none per task (as Task's `cancel`,
  // task-impl.ts). Test: nursery.test.ts, "regression: a nursery works with its methods destructured".
  #spawnFn: Nursery["spawn"] | undefined;
  #startFn: Nursery["start"] | undefined;
  #cancelFn: Nursery["cancel"] | undefined;

  get spawn(): Nursery["spawn"] {
    return (this.#spawnFn ??= (fn, options) => this.#spawn(fn, options));
  }

  get start(): Nursery["start"] {
    return (this.#startFn ??= ((first: unknown, second?: unknown, third?: StartOptions) => this.#start(first, second, third)) as Nursery["start"]);
  }

  get cancel(): Nursery["cancel"] {
    return (this.#cancelFn ??= (reason) => this.#cancel(reason));
  }

  #spawn<T>(fn: (task: TaskContext) => T | PromiseLike<T>, options?: { name?: string }): Task<T> {
    checkFunction("fn", fn);
    const name = this.#checkSpawn(options);
    const index = ++this.#spawned; // counts every spawn, so `task-<n>` is the nth child
    const task = new TaskImpl<T>(this, fn, name ?? index);
    this.#link(task);
    task.begin();
    return task;
  }

  #start<T = void>(first: unknown, second?: unknown, third?: StartOptions): Promise<T> {
    // `start(caller, fn, options?)`, or the older `start(fn, { signal })`.
    const parentForm = typeof first !== "function" && typeof second === "function";
    const fn = (parentForm ? second : first) as (task: StartContext<T>) => unknown;
    const options = (parentForm ? third : second) as StartOptions | undefined;
    checkFunction("fn", fn);
    const name = this.#checkSpawn(options);
    let caller: AbortSignal | TaskImpl<unknown> | undefined = options?.signal;
    if (parentForm) {
      const source = checkParent("caller", first);
      if (options?.signal !== undefined) throw invalid("signal", "left out (the caller, the first argument, is followed)", options.signal);
      caller = source instanceof TaskImpl ? source : isAbortSignal(source) ? source : source.signal;
      const reason = cancelReasonOf(source);
      if (reason !== undefined) return Promise.reject(fromParent(reason, this.name));
    } else if (caller !== undefined) {
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
    this.#children.add(task);
    if (channels.spawn.hasSubscribers) channels.spawn.publish({ task, nursery: this });
  }

  // ===== Cancellation: first reason wins, then newest child first =====

  #cancel(reason?: unknown): void {
    if (this.cancelReason !== undefined || this.#phase === CLOSED) return;
    this.#beginCancel(new CancelledError({ source: "explicit", detail: reason, nursery: this.name }), "self");
  }

  /** Starts cancellation with `reason`, caused by `trigger`, unless one already started (the first one wins). */
  #beginCancel(reason: CancelledError, trigger: CancelTrigger): void {
    if (this.cancelReason !== undefined || this.#phase === CLOSED) return;
    this.cancelReason = reason;
    this.#cancelledBy = trigger;
    if (channels.cancel.hasSubscribers) channels.cancel.publish({ nursery: this, task: undefined, reason });
    this.#clearTimeout();
    if (this.#concurrent) {
      this.#children.forEach((t) => t.abort(reason));
      this.body.abort(reason);
    } else {
      this.#cancelNext();
    }
    this.#finishIfDone();
  }

  /** Reverse order: cancel the newest live child not yet given up on, or the body when none is left. */
  #cancelNext(): void {
    this.#clearGraceTimer();
    const t = this.#children.newest(this.#passed);
    this.#current = t;
    if (t === undefined) {
      this.body.abort(this.cancelReason);
      return;
    }
    t.abort(this.cancelReason as CancelledError);
    if (this.#grace !== Infinity && this.#current === t && t.state === "running") {
      this.#graceTimer = this.clock.setTimer(this.#grace, () => {
        this.#graceTimer = undefined;
        (this.#passed ??= new Set()).add(t);
        if (this.#current === t) this.#cancelNext();
      });
    }
  }

  // ===== Cleanup errors: callbacks the library ran during cancellation =====

  /**
   * An `onCancel` hook of a task (named `task`) or of the body threw: a real error of this
   * nursery, listed in its NurseryError like a failing task. Hooks run only while their task (or
   * the body's cancellation) is pending, so the nursery is still open; if it ever were not, the
   * error is thrown where nothing can swallow it rather than lost.
   */
  cleanupFailed(err: unknown, task: string | undefined): void {
    if (this.#phase === CLOSED) {
      queueMicrotask(() => {
        throw err;
      });
      return;
    }
    this.#fail(err, task);
  }

  // ===== Settlement: children, body, the nursery's own outcome =====

  /**
   * A child has settled and recorded its state (TaskImpl.settle); the single exit point of a task
   * from the live list. `failed`: it ended by a real error, which fails this nursery.
   */
  childSettled(task: TaskImpl<unknown>, failed: boolean): void {
    this.#children.remove(task);
    this.#passed?.delete(task);
    // Published before the failure is acted on: a last child's failure settles the nursery within
    // #fail(), and `nursery:close` must come after the settle of every child.
    if (channels.settle.hasSubscribers) {
      channels.settle.publish({ task, nursery: this, state: task.state, outcome: task.outcome });
    }
    if (failed) this.#fail(task.outcome, task.name);
    if (this.#current === task) this.#cancelNext();
    this.#finishIfDone();
  }

  /** Records a real error (once, see internal/error-list.ts) and cancels the nursery for it. */
  #fail(err: unknown, task: string | undefined): void {
    if (!this.#errors.add(err)) return;
    this.#beginCancel(new CancelledError({ source: "sibling-failed", detail: err, nursery: this.name, task }), "failure");
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
    else if (!isOwnCancellation(value, this.body.reason, this.cancelReason)) this.#fail(value, undefined);
    this.#finishIfDone();
  }

  #finishIfDone(): void {
    if (this.#phase !== CLOSING || !this.#children.empty) return;
    // The body's cancellation may still be queued for delivery (deliver.ts): deliver it
    // now, while a hook that throws can still be reported.
    this.body.deliverAbort();
    if (this.#phase !== CLOSING || !this.#children.empty) return;
    this.#phase = CLOSED;
    this.#clearTimeout();
    this.#clearGraceTimer();
    this.#parent?.nested?.delete(this);
    this.#parent = undefined;
    const link = this.#parentLink;
    this.#parentLink = undefined;
    link?.unlink();
    const linked = link?.reason();
    const outside = this.#outside;
    if (outside !== undefined) outside.removeEventListener("abort", this.#onOutsideAbort as () => void);
    this.#outside = undefined;
    const outcome = decideOutcome({
      name: this.name,
      timeout: this.#timeout,
      cancelledBy: this.#cancelledBy,
      reason: this.cancelReason,
      errors: this.#errors.errors,
      outside: outside ?? (linked === undefined ? undefined : { aborted: true, reason: linked }),
      value: this.#bodyValue,
    });
    this.#completion.settle(outcome);
    if (channels.close.hasSubscribers) channels.close.publish({ nursery: this, ok: outcome.ok, outcome: outcome.value });
  }

  #clearTimeout(): void {
    if (this.#timeoutTimer !== undefined) this.clock.clearTimer(this.#timeoutTimer);
    this.#timeoutTimer = undefined;
  }

  #clearGraceTimer(): void {
    if (this.#graceTimer !== undefined) this.clock.clearTimer(this.#graceTimer);
    this.#graceTimer = undefined;
  }

  /** The nursery's outcome as a promise, created on first request (completion.ts). */
  completion(): Promise<unknown> {
    return this.#completion.promise;
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
