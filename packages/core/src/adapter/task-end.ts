// Resources an adapter hands to a task (a response body, a child process, an open stream) must not
// outlive the task. Cancellation is covered by `onCancel`; this covers the other two ways a task
// ends: its function returned, or threw. A task that returned is never cancelled, so without this
// an unread response body would hold its socket and limiter slot until a garbage collection.
//
// How: a task is a thenable that settles when its function has settled. One reaction per task, on
// first need, serves every resource of that task through a set, so a long-lived task that opens
// 100k resources one after another still holds one reaction and a set of the live ones, never a
// reaction per resource (which could not be removed and would pile up).
//
// The reaction is attached a microtask after the first registration: during the synchronous start
// of a task's function the task does not yet hold the promise that function returns.
import type { TaskContext } from "../task.js";
import { context } from "../internal/context.js";
import { signalOwners } from "../internal/signal-owner.js";
import { isAbortSignal } from "../is-abort-signal.js";
import { checkFunction } from "./checks.js";

type Callbacks = Set<() => void>;

const pending = new WeakMap<object, Callbacks>();

interface TaskLike {
  readonly state: string;
  then(onfulfilled: () => void, onrejected: () => void): unknown;
  /** Core's own tasks: where a cleanup error of the task goes. */
  readonly cleanupFailed?: (err: unknown) => void;
}

function isTaskLike(owner: unknown): owner is TaskLike {
  return (
    typeof owner === "object" &&
    owner !== null &&
    typeof (owner as { state?: unknown }).state === "string" &&
    typeof (owner as { then?: unknown }).then === "function"
  );
}

const noop = (): void => undefined;

// A throwing callback must not stop the others; it is a cleanup error of the task, reported by
// its nursery (which raises it where nothing can swallow it if it has already closed).
function call(owner: TaskLike, callback: () => void): void {
  try {
    callback();
  } catch (err) {
    if (typeof owner.cleanupFailed === "function") {
      owner.cleanupFailed(err);
      return;
    }
    queueMicrotask(() => {
      throw err;
    });
  }
}

// What an adapter is given is often not the task itself: a scope context opened from it, or an
// older `{ signal: task.signal }`. A task's signal stands for the task (core knows which task
// handed it out), so the resource still ends with its task.
function ownerOf(owner: unknown): unknown {
  if (isAbortSignal(owner)) return signalOwners.get(owner);
  if (isTaskLike(owner)) return owner;
  const signal = (owner as { signal?: unknown } | null)?.signal;
  return isAbortSignal(signal) ? signalOwners.get(signal) : undefined;
}

/**
 * Calls `callback` once when `owner`, a task, has ended (its function returned, threw or was
 * cancelled), and returns a function that removes it; call the remover when the resource is given
 * back earlier. If the task has already ended, `callback` runs at once. `owner` may also be a
 * task's own `signal`, or an object whose `signal` is one: a scope context opened from the task
 * (`moveOnAfter(task, ms, (scope) => ...)`) or an older `{ signal: task.signal }`; it stands for
 * that task. Any other owner (a nursery, a `{ signal }` of some other controller, any other
 * signal) has no end but its signal's abort (see `onCancel`): `callback` is never called.
 *
 * For adapters: release with it whatever a task was handed and must not keep after it ends.
 *
 * @example
 * ```ts
 * const remove = onTaskEnd(task, () => connection.destroy());
 * connection.once("close", remove);
 * ```
 */
export function onTaskEnd(
  source: TaskContext | { readonly signal: AbortSignal } | AbortSignal,
  callback: () => void,
): () => void {
  checkFunction("callback", callback);
  const owner = ownerOf(source);
  if (!isTaskLike(owner)) return noop;
  if (owner.state !== "running") {
    callback();
    return noop;
  }
  let callbacks = pending.get(owner);
  if (callbacks === undefined) {
    const set: Callbacks = (callbacks = new Set());
    pending.set(owner, set);
    const ended = (): void => {
      pending.delete(owner);
      for (const cb of set) call(owner, cb);
      set.clear();
    };
    // Outside the task's async context: with currentTask() on, a task's `then` called from inside
    // the task itself is a wait on itself and rejects at once (internal/task-impl.ts).
    const storage = context.storage;
    queueMicrotask(() => void (storage === undefined ? owner.then(ended, ended) : storage.exit(() => owner.then(ended, ended))));
  }
  const entry = (): void => callback();
  callbacks.add(entry);
  return () => void callbacks.delete(entry);
}
