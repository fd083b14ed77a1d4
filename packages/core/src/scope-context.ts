// Scope contexts: what a cancel scope opened from a parent (`moveOnAfter(task, ms, fn)`) hands its
// function. A Cancellable with the scope's own signal, name and clock and the owning task, so
// `nursery(scope, ...)`, `sleep(scope, ...)` and `fetch(scope, ...)` nest under the scope: its
// deadline cancels them, and task trees list their nurseries under the task.
import type { Clock } from "./clock.js";
import { signalOwners, type SignalOwner } from "./internal/signal-owner.js";
import type { TaskContext, TaskState } from "./task.js";

/**
 * What `moveOnAfter(task, ...)`, `failAfter(task, ...)` and `shield(task, ...)` pass to their
 * function: the scope's cancellation (its `signal` aborts at the deadline or with the parent) and
 * an owner whose lifetime is the scope's. Pass it first to everything the scope runs.
 *
 * @example
 * ```ts
 * const page = await failAfter(task, 5_000, (scope) => fetch(scope, url));
 * ```
 */
export interface ScopeContext {
  /** Aborts when the scope's deadline passes or its parent is cancelled (not, when shielded). */
  readonly signal: AbortSignal;
  /** The scope's name: the `name` option, else `"scope"`. */
  readonly name: string;
  /** The scope's clock: the `clock` option, else the parent's. */
  readonly clock: Clock;
  /** `"running"` while the scope's function has not settled; owned operations refuse work after. */
  readonly state: TaskState;
  /** The library task the scope was opened from, if any. */
  readonly task: TaskContext | undefined;
}

export class ScopeContextImpl implements ScopeContext {
  readonly signal: AbortSignal;
  readonly name: string;
  readonly clock: Clock;
  readonly task: TaskContext | undefined;
  state: TaskState = "running";

  constructor(signal: AbortSignal, name: string, clock: Clock, task: TaskContext | undefined, owner: SignalOwner | undefined) {
    this.signal = signal;
    this.name = name;
    this.clock = clock;
    this.task = task;
    // Nurseries opened with this scope as parent are listed under the task that owns it.
    if (owner !== undefined) signalOwners.set(signal, owner);
  }

  get [Symbol.toStringTag](): string {
    return "ScopeContext";
  }
}
