// A nursery's child: it runs its function, is cancelled (abort), and records how it ended
// (settle); each of its fields is written here only. Its nursery decides when it is cancelled and
// what its end means for the siblings (NurseryImpl.childSettled); the list of live children owns
// the links (internal/child-list.ts).
import type { Clock } from "../clock.js";
import { channels } from "../diagnostics.js";
import { adopt } from "./adopt.js";
import { ListLinks } from "./child-list.js";
import { context } from "./context.js";
import { deliver, type Delivery } from "./deliver.js";
import { CancelledError, StartError, fromParent } from "../errors.js";
import type { Nursery } from "../nursery.js";
import { deliberate, isOwnCancellation } from "./own-cancellation.js";
import { signalOwners, type SignalOwner, type TreeNode } from "./signal-owner.js";
import type { StartContext, Task, TaskContext, TaskState } from "../task.js";

export type CancelHook = (reason: CancelledError) => void;

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
  if (task.state !== "running" || task.cancelReason !== undefined) return;
  const err = new CancelledError({ source: "explicit", detail: reason, nursery: task.nursery.name, task: task.name });
  deliberate.add(err);
  task.abort(err);
}

function fulfilled(this: TaskImpl<unknown>, value: unknown): void {
  this.settle(true, value);
}

function rejected(this: TaskImpl<unknown>, err: unknown): void {
  this.settle(false, err);
}

/** The nursery operations a task needs; implemented by NurseryImpl. */
export interface TaskOwner extends Nursery {
  /** The nursery's cancellation reason, once a trigger fired. */
  readonly cancelReason: CancelledError | undefined;
  /** `task` has settled (its state is set); `failed`: it ended by a real error its nursery reports. */
  childSettled(task: TaskImpl<unknown>, failed: boolean): void;
  /** A callback the library ran during the cancellation of `task` (undefined: of the body) threw `err`. */
  cleanupFailed(err: unknown, task: string | undefined): void;
}

/** The parts of a task that few tasks need; see TaskImpl.extras. */
class TaskExtras {
  hooks: CancelHook[] = [];
  controller: AbortController | undefined;
  nested: Set<TreeNode> | undefined;
  /** `task.cancel`, bound to the task on first read. */
  cancel: ((reason?: unknown) => void) | undefined;
}

/**
 * `task.extras` as a TaskExtras, created on first need (keeping a lone hook that was stored there).
 * A function, not a private method: a private method adds a brand slot to every task.
 */
function extrasOf(task: TaskImpl<unknown>): TaskExtras {
  const extras = task.extras;
  if (extras instanceof TaskExtras) return extras;
  const created = new TaskExtras();
  if (extras !== undefined) created.hooks.push(extras);
  task.extras = created;
  return created;
}

// Nothing a task context offers reads `this` when called: its getters are read (with `this`) as
// the context is destructured, and its functions (`cancel`, `started`) are bound to the task on
// first read, so `({ started, cancel, signal }) => ...` works (test: nursery.test.ts, "regression:
// a task works with its context destructured"). Bound lazily, not in the constructor: an idle task
// pays nothing for them (bench 3a).
export class TaskImpl<T> extends ListLinks implements Task<T>, TaskContext, SignalOwner, Delivery {
  readonly nursery: TaskOwner;
  /** The task's function, kept for its name and its definition site (spawn-site reports). */
  readonly fn: Function;
  /** The `name` option, or the 1-based spawn count within the nursery when none was given. */
  readonly nameOrIndex: string | number;
  /** `nursery.clock.now()` when the task was spawned: its age in task trees. */
  readonly born: number;
  /**
   * Set once, when this task is cancelled; the reason its signal aborts with. A task spawned into
   * a nursery that is already cancelling starts with the nursery's reason.
   */
  cancelReason: CancelledError | undefined;
  /** `"running"` until settle(), which sets it once. */
  state: TaskState = "running";
  /**
   * While running: the promise the function returned, if it returned one. Once settled: the value
   * or error the task settled with. One field for both keeps an idle task small (bench 3a).
   */
  outcome: unknown;
  /**
   * What few tasks need, in one field: nothing; the one cancel hook added with onCancel() (the
   * common case, e.g. a sleep); or a TaskExtras holding hooks, the AbortController (created on
   * first read of `signal`) and the nurseries opened on this task's signal.
   */
  extras: CancelHook | TaskExtras | undefined;

  constructor(nursery: TaskOwner, fn: Function, nameOrIndex: string | number) {
    super();
    this.nursery = nursery;
    this.fn = fn;
    this.nameOrIndex = nameOrIndex;
    // Whole ms: a small integer is stored in the object itself; a fractional one would be boxed.
    this.born = Math.floor(nursery.clock.now());
    this.cancelReason = nursery.cancelReason;
  }

  get name(): string {
    const given = this.nameOrIndex;
    return typeof given === "string" ? given : this.fn.name || `task-${given}`;
  }

  get clock(): Clock {
    return this.nursery.clock;
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
  get nested(): Set<TreeNode> | undefined {
    const extras = this.extras;
    return extras instanceof TaskExtras ? extras.nested : undefined;
  }

  set nested(set: Set<TreeNode> | undefined) {
    extrasOf(this).nested = set;
  }

  /**
   * Cancels this task with `reason`; the first reason wins. The reason is set now; its delivery
   * (hooks first, in order, then the signal) goes through deliver(), which keeps a deep chain of
   * nested nurseries off the stack.
   */
  abort(reason: CancelledError): void {
    if (this.cancelReason !== undefined || this.state !== "running") return;
    this.cancelReason = reason;
    if (channels.cancel.hasSubscribers) channels.cancel.publish({ nursery: this.nursery, task: this, reason });
    if (this.extras !== undefined) deliver(this);
  }

  deliverAbort(): void {
    const reason = this.cancelReason as CancelledError;
    const extras = this.extras;
    if (typeof extras === "function") {
      this.extras = undefined;
      callHook(this, extras, reason);
    } else if (extras !== undefined) {
      for (const hook of extras.hooks.splice(0)) callHook(this, hook, reason);
      extras.controller?.abort(reason);
    }
  }

  cleanupFailed(err: unknown): void {
    this.nursery.cleanupFailed(err, this.name);
  }

  /** Adds a cancellation callback without creating an AbortSignal; see onCancel(). */
  addHook(hook: CancelHook): () => void {
    if (this.extras === undefined) this.extras = hook;
    else extrasOf(this).hooks.push(hook);
    // A bound function (72 B with its argument) instead of a closure and its context (~104 B):
    // every sleeping task holds one.
    return this.removeHook.bind(this, hook);
  }

  removeHook(hook: CancelHook): void {
    const extras = this.extras;
    if (extras === hook) this.extras = undefined;
    else if (extras instanceof TaskExtras) {
      const i = extras.hooks.indexOf(hook);
      if (i >= 0) extras.hooks.splice(i, 1);
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
    const outer = beginning.task;
    beginning.task = this;
    try {
      const fn = this.fn as (task: TaskContext) => unknown;
      const storage = context.storage;
      result = storage === undefined ? fn(this) : storage.run(this, fn, this);
      if (result === this) throw ownContextError(this.name);
      promise = adopt(result);
    } catch (err) {
      beginning.task = outer;
      this.settle(false, err);
      return;
    }
    beginning.task = outer;
    if (promise === undefined) {
      this.settle(true, result);
      return;
    }
    this.outcome = promise;
    // Bound functions (48 B each) instead of two closures over `this` (~150 B with their context).
    promise.then(fulfilled.bind(this), rejected.bind(this));
  }

  /**
   * Records how the task ended, once: fulfilled, cancelled (the rejection is its nursery's
   * cancellation or its own, see isOwnCancellation) or rejected; then tells the nursery, which
   * unlinks it and, for a real error, fails.
   */
  settle(ok: boolean, value: unknown): void {
    this.outcome = value;
    this.state = ok ? "fulfilled" : isOwnCancellation(value, this.cancelReason, this.nursery.cancelReason) ? "cancelled" : "rejected";
    const startFailed = this.failStart(ok, value);
    this.nursery.childSettled(this, !startFailed && this.state === "rejected");
  }

  /** A task started with `start()` that ends before `started()` rejects `start()`; a spawned one has nothing to fail. */
  failStart(_ok: boolean, _value: unknown): boolean {
    return false;
  }

  /**
   * `then`, read through a getter: read while the task's own function runs synchronously (`return
   * t` or `await t` in an async function before its first `await`, where the engine reads `then`
   * at once), it is a wait on itself, which would never settle, so the `then` handed out rejects.
   * TypeScript already refuses both (`TaskContext.then`); this catches JavaScript and casts.
   */
  get then(): <R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ) => Promise<R1 | R2> {
    return (beginning.task === this && this.state === "running" ? thenSelf : thenTask) as never;
  }

  /** An own `then` may still be assigned (wrapped, as by instrumentation), as on a plain object. */
  set then(value: unknown) {
    Object.defineProperty(this, "then", { value, writable: true, enumerable: true, configurable: true });
  }

  // Prototype methods: no per-task memory (bench 3a).
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<T> {
    return Promise.resolve(this as PromiseLike<T>).finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return "Task";
  }
}

/** The task whose function is running synchronously (inside begin()), if any; see `then`. */
const beginning: { task: TaskImpl<unknown> | undefined } = { task: undefined };

/** `task.then`: the task's outcome, as a promise's `then`. */
function thenTask<T, R1, R2>(
  this: TaskImpl<T>,
  onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
  onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
): Promise<R1 | R2> {
  // A cancelled task rejects with its CancelledError, whatever its function rejected with (e.g.
  // Node's AbortError from timers/promises). The task's own handler on `promise` was attached
  // first, so `state` is already set when this one runs. Test: "rejects with its CancelledError
  // when awaited after being cancelled".
  const rejected = (err: unknown): R2 | PromiseLike<R2> => {
    const reason = this.state === "cancelled" && this.cancelReason !== undefined ? this.cancelReason : err;
    if (onrejected == null) throw reason;
    return onrejected(reason);
  };
  // Awaited from inside itself after its first `await`: detectable only when currentTask() is on;
  // test: "rejects at once when a task's async function returns its own context".
  if (this.state === "running" && context.storage?.getStore() === this) return thenSelf.call(this, undefined, onrejected) as Promise<R1 | R2>;
  // While running, `outcome` holds the promise the function returned (see the field).
  if (this.state === "running" && this.outcome !== undefined) {
    return Promise.resolve(this.outcome as Promise<T>).then(onfulfilled, rejected);
  }
  if (this.state === "fulfilled") return Promise.resolve(this.outcome as T).then(onfulfilled, onrejected);
  return Promise.reject(this.outcome).then(onfulfilled, rejected);
}

/** `task.then` for a wait on itself: rejects with the error that says so. */
function thenSelf(this: TaskImpl<unknown>, _onfulfilled?: unknown, onrejected?: ((reason: unknown) => unknown) | null): Promise<unknown> {
  return Promise.reject(ownContextError(this.name)).then(undefined, onrejected);
}

/** What a task gets for waiting on itself (returning or awaiting its own context). */
function ownContextError(name: string): TypeError {
  return new TypeError(
    `Task "${name}" waited for its own result (its function returned or awaited its own task context), ` +
      "which would never settle; return something else, e.g. `{ task }`",
  );
}

/** A task started with `Nursery.start()`: it has `started()`, which resolves the `start()` call. */
export class StartTaskImpl<T> extends TaskImpl<unknown> implements StartContext<T> {
  /** The `start()` call's resolvers, until `started()` or the task's end (whichever comes first). */
  #resolve: ((value: T) => void) | undefined;
  #reject: ((err: unknown) => void) | undefined;
  /** `started`, bound to the task on first read (see TaskImpl). */
  #started: ((value?: T) => void) | undefined;
  /** Removes the listener on the caller's signal (see followCaller). */
  #stopFollowing: (() => void) | undefined;

  constructor(
    nursery: TaskOwner,
    fn: Function,
    nameOrIndex: string | number,
    resolve: (value: T) => void,
    reject: (err: unknown) => void,
  ) {
    super(nursery, fn, nameOrIndex);
    this.#resolve = resolve;
    this.#reject = reject;
  }

  get started(): (value?: T) => void {
    return (this.#started ??= markStarted.bind(undefined, this as StartTaskImpl<unknown>) as (value?: T) => void);
  }

  /**
   * Until `started()` (or the task's end), `signal` aborting cancels this task: it is still the work
   * of the caller of `start()` (`StartOptions.signal`). A CancelledError reason is passed on as is,
   * so the caller recognises its own cancellation when `start()` rejects with it.
   */
  followCaller(signal: AbortSignal | TaskImpl<unknown>): void {
    if (signal instanceof TaskImpl) {
      // `n.start(task, fn)`: the calling task is hooked directly, creating no AbortSignal.
      this.#stopFollowing = signal.addHook((reason) => {
        this.#unfollowCaller();
        this.abort(fromParent(reason, this.nursery.name, this.name));
      });
      return;
    }
    const onAbort = (): void => {
      this.#unfollowCaller();
      const reason: unknown = signal.reason;
      this.abort(fromParent(reason, this.nursery.name, this.name));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    this.#stopFollowing = () => signal.removeEventListener("abort", onAbort);
  }

  /** Stops following the caller's signal; when `started()` is called and when the task fails to start. */
  #unfollowCaller(): void {
    const stop = this.#stopFollowing;
    this.#stopFollowing = undefined;
    stop?.();
  }

  /** Resolves the `start()` call with `value`; a second call throws `StartError`. */
  markStarted(value: unknown): void {
    const resolve = this.#resolve;
    if (resolve === undefined) throw new StartError("ERR_ALREADY_STARTED", this.name);
    this.#resolve = this.#reject = undefined;
    this.#unfollowCaller();
    resolve(value as T);
  }

  /**
   * Before `started()`, the task's end is its `start()` call's: returning rejects it with
   * `StartError` (`ERR_NOT_STARTED`), failing or being cancelled with that reason, and the
   * nursery is not failed. After `started()` nothing is left to fail.
   */
  override failStart(ok: boolean, value: unknown): boolean {
    const reject = this.#reject;
    if (reject === undefined) return false;
    this.#resolve = this.#reject = undefined;
    this.#unfollowCaller();
    reject(ok ? new StartError("ERR_NOT_STARTED", this.name) : value);
    return true;
  }
}

/** `started` as handed out: resolves the `start()` call with `value`. */
function markStarted(task: StartTaskImpl<unknown>, value?: unknown): void {
  task.markStarted(value);
}
