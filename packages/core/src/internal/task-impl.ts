// A nursery's child. Every field here is shared with NurseryImpl (nursery.ts), which owns the
// lifecycle: it links the task into its list of live children, cancels it, and records its outcome.
import type { Clock } from "../clock.js";
import { channels } from "../diagnostics.js";
import { adopt } from "./adopt.js";
import { context } from "./context.js";
import { deliver, type Delivery } from "./deliver.js";
import { CancelledError, StartError, fromParent } from "../errors.js";
import type { Nursery } from "../nursery.js";
import type { StartContext, Task, TaskContext, TaskState } from "../task.js";

/** Anything that owns an AbortSignal handed out by this library: a task or a nursery's body. */
export interface SignalOwner {
  /** Nurseries opened with this owner's signal as their outside signal (for task trees). */
  inner: Set<TreeNode> | undefined;
  /**
   * A callback run on this owner's cancellation (an `onCancel` hook) threw: a cleanup error of the
   * task (or the body), which its nursery reports like any other failure.
   */
  cleanupFailed(err: unknown): void;
}

/** The part of a nursery that task trees and `run()` read. */
export interface TreeNode {
  readonly name: string;
  readonly cancelRequested: boolean;
  readonly children: readonly Task<unknown>[];
  readonly bodyOwner: SignalOwner;
}

// Signals handed out by tasks and nursery bodies, mapped to their owner, so that a nursery opened
// with `{ signal: task.signal }` can hang itself under that task in the tree. Filled only when a
// signal is first read, so tasks that never read their signal pay nothing.
export const signalOwners = new WeakMap<AbortSignal, SignalOwner>();

export type CancelHook = (reason: CancelledError) => void;

/**
 * CancelledErrors made by `Task.cancel()`: a task cancelled on purpose. Awaiting such a task
 * rejects with its reason, and whoever rethrows it (a body or a sibling that awaited the task)
 * ended by that cancellation, not by an error: nurseries recognise it here, by identity. Only the
 * library adds to it, so a CancelledError built and thrown by user code is still an error.
 */
export const deliberate = new WeakSet<CancelledError>();

// A throwing hook must not stop the others or the abort; it is a cleanup error of the task.
function callHook(owner: SignalOwner, hook: CancelHook, reason: CancelledError): void {
  try {
    hook(reason);
  } catch (err) {
    owner.cleanupFailed(err);
  }
}

/** `task.cancel` as handed out: a bound function, so `const { cancel } = task` works. */
function cancelTask(task: TaskImpl<unknown>, reason?: unknown): void {
  if (task.code !== RUNNING || task.cancelReason !== undefined) return;
  const err = new CancelledError({ source: "explicit", detail: reason, nursery: task.nursery.name, task: task.name });
  deliberate.add(err);
  task.abort(err);
}

function fulfilled(this: TaskImpl<unknown>, value: unknown): void {
  this.nursery.taskSettled(this, true, value);
}

function rejected(this: TaskImpl<unknown>, err: unknown): void {
  this.nursery.taskSettled(this, false, err);
}

export const RUNNING = 0;
export const FULFILLED = 1;
export const REJECTED = 2;
export const CANCELLED = 3;
const STATE_NAMES: readonly TaskState[] = ["running", "fulfilled", "rejected", "cancelled"];

/** The nursery operations a task needs; implemented by NurseryImpl. */
export interface TaskOwner extends Nursery {
  taskSettled(task: TaskImpl<unknown>, ok: boolean, value: unknown): void;
  /** A callback the library ran for `task` during its cancellation threw `err`. */
  taskCleanupFailed(task: TaskImpl<unknown>, err: unknown): void;
}

/** The parts of a task that few tasks need; see TaskImpl.ext. */
class TaskExtras {
  hooks: CancelHook[] = [];
  controller: AbortController | undefined = undefined;
  inner: Set<TreeNode> | undefined = undefined;
  /** `task.cancel`, bound to the task on first read. */
  cancel: ((reason?: unknown) => void) | undefined = undefined;
}

/**
 * `task.ext` as a TaskExtras, created on first need (keeping a lone hook that was stored there).
 * A function, not a private method: a private method adds a brand slot to every task.
 */
function extrasOf(task: TaskImpl<unknown>): TaskExtras {
  const ext = task.ext;
  if (ext instanceof TaskExtras) return ext;
  const extras = new TaskExtras();
  if (ext !== undefined) extras.hooks.push(ext);
  task.ext = extras;
  return extras;
}

// Nothing a task context offers reads `this` when called: its getters are read (with `this`) as
// the context is destructured, and its functions (`cancel`, `started`) are bound to the task on
// first read, so `({ started, cancel, signal }) => ...` works (test: nursery.test.ts, "regression:
// a task works with its context destructured"). Bound lazily, not in the constructor: an idle task
// pays nothing for them (bench 3a).
export class TaskImpl<T> implements Task<T>, TaskContext, SignalOwner, Delivery {
  readonly nursery: TaskOwner;
  /** The task's function, kept for its name and its definition site (spawn-site reports). */
  readonly fn: Function;
  /** The `name` option, or the 1-based spawn count within the nursery when none was given. */
  readonly label: string | number;
  /** `nursery.clock.now()` when the task was spawned: its age in task trees. */
  readonly born: number;
  /** Set once, when this task is cancelled; the reason its signal aborts with. */
  cancelReason: CancelledError | undefined = undefined;
  code: number = RUNNING;
  /**
   * While running: the promise the function returned, if it returned one. Once settled: the value
   * or error the task settled with. One field for both keeps an idle task small (bench 3a).
   */
  outcome: unknown = undefined;
  /** Neighbours in the nursery's list of live children (oldest first); undefined once settled. */
  prev: TaskImpl<unknown> | undefined = undefined;
  next: TaskImpl<unknown> | undefined = undefined;
  /**
   * What few tasks need, in one field: nothing; the one cancel hook added with onCancel() (the
   * common case, e.g. a sleep); or a TaskExtras holding hooks, the AbortController (created on
   * first read of `signal`) and the nurseries opened on this task's signal.
   */
  ext: CancelHook | TaskExtras | undefined = undefined;

  constructor(nursery: TaskOwner, fn: Function, label: string | number) {
    this.nursery = nursery;
    this.fn = fn;
    this.label = label;
    // Whole ms: a small integer is stored in the object itself; a fractional one would be boxed.
    this.born = Math.floor(nursery.clock.now());
  }

  get name(): string {
    const label = this.label;
    return typeof label === "string" ? label : this.fn.name || `task-${label}`;
  }

  get clock(): Clock {
    return this.nursery.clock;
  }

  get state(): TaskState {
    return STATE_NAMES[this.code] as TaskState;
  }

  get signal(): AbortSignal {
    const extras = extrasOf(this);
    let controller = extras.controller;
    if (controller === undefined) {
      controller = extras.controller = new AbortController();
      if (this.cancelReason !== undefined) controller.abort(this.cancelReason);
      signalOwners.set(controller.signal, this);
    }
    return controller.signal;
  }

  /** Nurseries opened with this task's signal as their outside signal (for task trees). */
  get inner(): Set<TreeNode> | undefined {
    const ext = this.ext;
    return ext instanceof TaskExtras ? ext.inner : undefined;
  }

  set inner(set: Set<TreeNode> | undefined) {
    extrasOf(this).inner = set;
  }

  /**
   * Cancels this task with `reason`; the first reason wins. The reason is set now; its delivery
   * (hooks first, in order, then the signal) goes through deliver(), which keeps a deep chain of
   * nested nurseries off the stack.
   */
  abort(reason: CancelledError): void {
    if (this.cancelReason !== undefined || this.code !== RUNNING) return;
    this.cancelReason = reason;
    if (channels.cancel.hasSubscribers) channels.cancel.publish({ nursery: this.nursery, task: this, reason });
    if (this.ext !== undefined) deliver(this);
  }

  deliverAbort(): void {
    const reason = this.cancelReason as CancelledError;
    const ext = this.ext;
    if (typeof ext === "function") {
      this.ext = undefined;
      callHook(this, ext, reason);
    } else if (ext !== undefined) {
      for (const hook of ext.hooks.splice(0)) callHook(this, hook, reason);
      ext.controller?.abort(reason);
    }
  }

  cleanupFailed(err: unknown): void {
    this.nursery.taskCleanupFailed(this, err);
  }

  /** Adds a cancellation callback without creating an AbortSignal; see onCancel(). */
  addHook(hook: CancelHook): () => void {
    if (this.ext === undefined) this.ext = hook;
    else extrasOf(this).hooks.push(hook);
    // A bound function (72 B with its argument) instead of a closure and its context (~104 B):
    // every sleeping task holds one.
    return this.removeHook.bind(this, hook);
  }

  removeHook(hook: CancelHook): void {
    const ext = this.ext;
    if (ext === hook) this.ext = undefined;
    else if (ext instanceof TaskExtras) {
      const i = ext.hooks.indexOf(hook);
      if (i >= 0) ext.hooks.splice(i, 1);
    }
  }

  get cancel(): (reason?: unknown) => void {
    const extras = extrasOf(this);
    return (extras.cancel ??= cancelTask.bind(undefined, this as TaskImpl<unknown>));
  }

  /** Runs the task's function; called once by the nursery right after linking the task. */
  begin(): void {
    let result: unknown;
    let promise: Promise<unknown> | undefined;
    try {
      const fn = this.fn as (task: TaskContext) => unknown;
      const storage = context.storage;
      result = storage === undefined ? fn(this) : storage.run(this, fn, this);
      promise = adopt(result);
    } catch (err) {
      this.nursery.taskSettled(this, false, err);
      return;
    }
    if (promise === undefined) {
      this.nursery.taskSettled(this, true, result);
      return;
    }
    this.outcome = promise;
    // Bound functions (48 B each) instead of two closures over `this` (~150 B with their context).
    promise.then(fulfilled.bind(this), rejected.bind(this));
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    // A cancelled task rejects with its CancelledError, whatever its function rejected with (e.g.
    // Node's AbortError from timers/promises). The nursery's own handler on `promise` was attached
    // first, so `code` is already set when this one runs. Test: "rejects with its CancelledError
    // when awaited after being cancelled".
    const rejected = (err: unknown): R2 | PromiseLike<R2> => {
      const reason = this.code === CANCELLED && this.cancelReason !== undefined ? this.cancelReason : err;
      if (onrejected == null) throw reason;
      return onrejected(reason);
    };
    // While running, `outcome` holds the promise the function returned (see the field).
    if (this.code === RUNNING && this.outcome !== undefined) {
      return Promise.resolve(this.outcome as Promise<T>).then(onfulfilled, rejected);
    }
    if (this.code === FULFILLED) return Promise.resolve(this.outcome as T).then(onfulfilled, onrejected);
    return Promise.reject(this.outcome).then(onfulfilled, rejected);
  }

  get [Symbol.toStringTag](): string {
    return "Task";
  }
}

/** A task started with `Nursery.start()`: it has `started()`, which resolves the `start()` call. */
export class StartTaskImpl<T> extends TaskImpl<unknown> implements StartContext<T> {
  resolveStart: ((value: T) => void) | undefined;
  rejectStart: ((err: unknown) => void) | undefined;
  /** `started`, bound to the task on first read (see TaskImpl). */
  boundStarted: ((value?: T) => void) | undefined = undefined;
  /** Removes the listener on the caller's signal (see followCaller). */
  stopFollowing: (() => void) | undefined = undefined;

  constructor(
    nursery: TaskOwner,
    fn: Function,
    label: string | number,
    resolve: (value: T) => void,
    reject: (err: unknown) => void,
  ) {
    super(nursery, fn, label);
    this.resolveStart = resolve;
    this.rejectStart = reject;
  }

  get started(): (value?: T) => void {
    return (this.boundStarted ??= markStarted.bind(undefined, this as StartTaskImpl<unknown>) as (value?: T) => void);
  }

  /**
   * Until `started()` (or the task's end), `signal` aborting cancels this task: it is still the work
   * of the caller of `start()` (`StartOptions.signal`). A CancelledError reason is passed on as is,
   * so the caller recognises its own cancellation when `start()` rejects with it.
   */
  followCaller(signal: AbortSignal): void {
    const onAbort = (): void => {
      this.unfollowCaller();
      const reason: unknown = signal.reason;
      this.abort(fromParent(reason, this.nursery.name, this.name));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    this.stopFollowing = () => signal.removeEventListener("abort", onAbort);
  }

  /** Stops following the caller's signal; called by `started()` and when the task fails to start. */
  unfollowCaller(): void {
    const stop = this.stopFollowing;
    this.stopFollowing = undefined;
    stop?.();
  }

  /** True while `started()` has not been called: failures go to `start()`, not the nursery. */
  get starting(): boolean {
    return this.resolveStart !== undefined;
  }
}

/** `started` as handed out: resolves the `start()` call with `value`. */
function markStarted(task: StartTaskImpl<unknown>, value?: unknown): void {
  const resolve = task.resolveStart;
  if (resolve === undefined) throw new StartError("ERR_ALREADY_STARTED", task.name);
  task.resolveStart = undefined;
  task.rejectStart = undefined;
  task.unfollowCaller();
  resolve(value);
}
