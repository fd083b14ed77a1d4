// Leak warnings: a debug mode that says when a task leaves something behind.
//
// Goal. Structured concurrency promises that nothing outlives its task. JavaScript cannot enforce
// it for what a task creates outside the library: a listener added to its signal and never
// removed, a timer or interval still pending after it ended, a nursery opened inside it but not
// linked to its signal (so cancelling the task does not reach it), a task that let its nursery's
// childGrace pass without settling. Each is a bug that shows only under load or at shutdown. In
// debug mode each is printed once, with the task's name and where its function is defined.
//
// Off by default and free when off: nothing is subscribed or hooked until enableLeakWarnings().
// When on, it subscribes to the nursery:* channels, turns on currentTask() (AsyncLocalStorage) to
// know which task creates a timer, and adds an async_hooks hook for Timeout resources: a cost on
// every promise and timer (bench/leaks.mjs), acceptable for a debug run, not for production.
//
// When is a check made. A task's listeners and timers are looked at one macrotask after it
// settled (setImmediate), so that cleanup chained right after its end (`finally` of whoever awaited
// it) counts. A nursery is checked at its first spawn, which comes from the code that opened it.
// A grace that passed is seen when reverse order moves on to the next older task while the
// previous one still runs.
//
// Known limits (each a core event that does not exist yet; see otel-spans.md's hooks). A nursery
// opened long before, outside any task, whose first spawn comes from inside a task, is reported as
// unlinked. The grace of the oldest child passes without an event (the body is next, not a task).
// Timers are those of setTimeout/setInterval (Node's Timeout), not a custom clock's.
import { createHook, type AsyncHook } from "node:async_hooks";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { getEventListeners } from "node:events";
import { currentTask, enableCurrentTask } from "./current-task.js";
import type { CancelEvent, SettleEvent, SpawnEvent } from "./diagnostics.js";
import type { SignalOwner } from "./internal/signal-owner.js";
import { TaskImpl } from "./internal/task-impl.js";
import { locate } from "./internal/locate.js";
import { SITE_MAX, shown } from "./internal/shown.js";
import { checkFunction, checkOptions } from "./internal/validate.js";
import type { Nursery } from "./nursery.js";

/** Options of {@link enableLeakWarnings}. */
export interface LeakWarningOptions {
  /** Receives each warning, one line. Default: written to stderr. */
  write?: (line: string) => void;
}

/** What each warning is about; a task gets each kind at most once. */
type Kind = "listener" | "timer" | "unlinked" | "grace";

/**
 * The task's AbortSignal if its code ever read it, else undefined: reading `task.signal` would
 * create one. Reads the task's extras (internal/task-impl.ts), where the controller lives.
 */
function signalOf(task: TaskImpl<unknown>): AbortSignal | undefined {
  const extras = task.extras as { controller?: AbortController } | undefined;
  return typeof extras === "object" ? extras.controller?.signal : undefined;
}

function siteOf(task: TaskImpl<unknown>): string {
  const site = locate(task.fn);
  return site === undefined ? "" : ` (defined at ${shown(site, SITE_MAX)})`;
}

/** True when `nursery` hangs, through its outside signal, under `owner` or a nursery opened on it. */
function linkedUnder(owner: SignalOwner, nursery: Nursery, depth = 0): boolean {
  for (const nested of owner.nested ?? []) {
    if ((nested as unknown) === nursery) return true;
    if (depth < 32 && linkedUnder(nested.body, nursery, depth + 1)) return true;
  }
  return false;
}

/** Node's own flag on a Timeout: false until it fired or was cleared (see the timers note below). */
function isPending(timer: object): boolean {
  return (timer as { _destroyed?: unknown })._destroyed === false;
}

let active: (() => void) | undefined;

/**
 * Turns on leak warnings for tasks spawned from now on, and returns the function that turns them
 * off. Each is printed once per task, with its name and definition site:
 *
 * - a listener still on the task's signal after the task ended;
 * - a timer or interval created by the task (setTimeout/setInterval) still pending after it ended;
 * - a nursery opened inside the task without the task as its parent (`nursery(body)` where
 *   `nursery(task, body)` was meant): its cancellation would not reach it;
 * - a task whose nursery's `childGrace` passed while it was being cancelled, still running.
 *
 * For development and tests: it turns on `currentTask()` and an async_hooks hook, which slow every
 * promise. Calling it again while on returns the same off switch.
 *
 * @example
 * ```ts
 * if (process.env.NURSERY_DEBUG) enableLeakWarnings();
 * ```
 */
export function enableLeakWarnings(options?: LeakWarningOptions): () => void {
  checkOptions("options", options);
  if (options?.write !== undefined) checkFunction("write", options.write);
  if (active !== undefined) return active;
  const write = options?.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  enableCurrentTask();

  const warned = new WeakMap<TaskImpl<unknown>, Set<Kind>>();
  const warn = (task: TaskImpl<unknown>, kind: Kind, what: string): void => {
    let kinds = warned.get(task);
    if (kinds === undefined) warned.set(task, (kinds = new Set()));
    if (kinds.has(kind)) return;
    kinds.add(kind);
    const line = `nursery leak warning: task "${shown(task.name)}" in nursery "${shown(task.nursery.name)}"${siteOf(task)}: ${what}`;
    try {
      write(line);
    } catch (err) {
      // The writer is user code: its error is uncaught, as a channel subscriber's would be, and the
      // checks of the other tasks in this batch still run.
      queueMicrotask(() => {
        throw err;
      });
    }
  };

  // Timers (Node's Timeout objects) created by each running task. Only an init hook: a destroy
  // hook would make Node track every promise's collection, measured several times slower. Whether
  // a timer is still pending is read at check time from Node's own `_destroyed` flag (set when it
  // fired or was cleared, on every Node since 11); without that flag no timer is reported.
  // A long-lived task (main, a poller) creates timers all its life: those that fired or were
  // cleared are dropped whenever the list doubles, so it holds about twice the pending ones, not
  // every timer (and its callback's closure) the task ever made.
  const timersOf = new WeakMap<TaskImpl<unknown>, { list: object[]; limit: number }>();
  const hook: AsyncHook = createHook({
    init(_id, type, _trigger, resource) {
      if (type !== "Timeout") return;
      const task = currentTask();
      if (!(task instanceof TaskImpl) || task.state !== "running") return;
      const timers = timersOf.get(task);
      if (timers === undefined) return void timersOf.set(task, { list: [resource], limit: 64 });
      if (timers.list.push(resource) < timers.limit) return;
      timers.list = timers.list.filter(isPending);
      timers.limit = Math.max(64, 2 * timers.list.length);
    },
  });
  hook.enable();

  const seen = new WeakSet<Nursery>();
  const onSpawn = (message: unknown): void => {
    const { nursery } = message as SpawnEvent;
    if (seen.has(nursery)) return;
    seen.add(nursery);
    const task = currentTask();
    if (!(task instanceof TaskImpl) || (task.nursery as unknown) === nursery) return;
    if (!linkedUnder(task, nursery)) {
      warn(task, "unlinked", `nursery "${shown(nursery.name)}" was opened inside it without { signal: task.signal } or the task as its parent (nursery(task, body)); cancelling the task will not cancel it`);
    }
  };

  // Reverse order: the task cancelled before the current one, by nursery, and whether that was in
  // this same synchronous turn (then the order is "concurrent", or the previous one settled).
  const previous = new WeakMap<Nursery, { task: TaskImpl<unknown>; turn: number }>();
  let turn = 0;
  let turnQueued = false;
  const onCancel = (message: unknown): void => {
    const { nursery, task } = message as CancelEvent;
    if (!(task instanceof TaskImpl)) return;
    if (!turnQueued) {
      turnQueued = true;
      queueMicrotask(() => {
        turn++;
        turnQueued = false;
      });
    }
    const before = previous.get(nursery);
    if (before !== undefined && before.turn !== turn && before.task.state === "running") {
      warn(before.task, "grace", `still running after its nursery's childGrace passed; the next task was cancelled without waiting for it`);
    }
    previous.set(nursery, { task, turn });
  };

  // Tasks that settled since the last check; checked together one macrotask later.
  let settled: TaskImpl<unknown>[] = [];
  const check = (): void => {
    const tasks = settled;
    settled = [];
    for (const task of tasks) {
      const listeners = signalOf(task) === undefined ? 0 : getEventListeners(task.signal, "abort").length;
      if (listeners > 0) {
        warn(task, "listener", `${listeners} listener${listeners === 1 ? " is" : "s are"} still on its signal after it ended; remove them when the operation settles`);
      }
      const pending = timersOf.get(task)?.list.filter(isPending).length ?? 0;
      if (pending > 0) {
        warn(task, "timer", `${pending} timer${pending === 1 ? " it created is" : "s it created are"} still pending after it ended; clear them in a finally`);
      }
    }
  };
  const onSettle = (message: unknown): void => {
    const { task } = message as SettleEvent;
    if (!(task instanceof TaskImpl)) return;
    if (settled.push(task) === 1) setImmediate(check);
  };

  subscribe("nursery:spawn", onSpawn);
  subscribe("nursery:cancel", onCancel);
  subscribe("nursery:settle", onSettle);
  const disable = (): void => {
    if (active !== disable) return;
    active = undefined;
    hook.disable();
    unsubscribe("nursery:spawn", onSpawn);
    unsubscribe("nursery:cancel", onCancel);
    unsubscribe("nursery:settle", onSettle);
  };
  active = disable;
  return disable;
}
