import { cancelReasonOf, isAbortSignal, realClock, type Cancellable, type Clock, type TaskContext } from "@nursery/core";
import { sourceOf } from "./internal/source.js";
import { startTaskWait, startWait } from "./internal/waiter.js";
import { checkNumber, checkOptionalClock, checkOptionalSignal, checkOptions } from "@nursery/core/adapter";

/**
 * Options of the deprecated `sleep(ms, options)` and `interval(ms, options)` forms. The current
 * forms take the source first, `sleep(task, ms, { clock })`.
 */
export interface SleepOptions {
  /** Cancels the wait. Pass the task's `signal`; without one the wait cannot be cancelled. */
  signal?: AbortSignal;
  /** Source of time. Default `realClock`; pass the task's `clock` so a virtual clock reaches it. */
  clock?: Clock;
}

/**
 * Waits `ms` milliseconds, or until `source` is cancelled, whichever comes first.
 *
 * Use it wherever a task pauses: backoff between retries, polling, rate limiting. Pass the task
 * first (`sleep(task, ms)`) so the wait is cancelled with the task and follows the nursery's clock
 * (a `VirtualClock` in tests). `source` is any `Cancellable`: a task, a scope context, an
 * `AbortSignal`, or anything with a `signal`; `options.clock` overrides the source's clock.
 *
 * - Success: resolves with `undefined` after `ms` ms on the clock (delays above 2^31-1 ms are
 *   chunked by the clock, they do not fire early).
 * - Cancellation: if `source` is already cancelled, rejects at once without setting a timer;
 *   if it is cancelled during the wait, clears the timer and rejects with its reason itself (for a
 *   task, its `CancelledError`), not a new wrapper error.
 * - Bad input: throws `TypeError` synchronously when `source` is not cancellable, when `ms` is not
 *   a finite number >= 0, or when an option has the wrong type.
 *
 * Costs: one timer. Passed a task, a sleep creates no AbortSignal: it hooks the task directly
 * through core's `onCancel`. Passed a signal, it adds no per-call listener: all pending sleeps (and
 * intervals) on one signal share a single abort listener, removed when the last of them settles,
 * so the signal's listener count is back to its baseline as soon as nothing waits on it, and 100k
 * concurrent sleeps on one signal cost O(n), not O(n^2).
 *
 * The older `sleep(ms, task)` and `sleep(ms, { signal, clock })` still work and are deprecated.
 *
 * @example
 * ```ts
 * await nursery(async (n) => {
 *   n.spawn(async (task) => {
 *     for (let attempt = 0; ; attempt++) {
 *       if (await poll(task)) return;
 *       await sleep(task, 2 ** attempt * 100); // cancelled with the task
 *     }
 *   });
 * });
 * ```
 */
export function sleep(source: Cancellable, ms: number, options?: { clock?: Clock }): Promise<void>;
/** @deprecated Write `sleep(task, ms)`: the cancellation source comes first (api-cancellation-source.md). */
export function sleep(ms: number, options?: SleepOptions): Promise<void>;
export function sleep(first: Cancellable | number, second?: number | SleepOptions, third?: { clock?: Clock }): Promise<void> {
  if (typeof first !== "object" || first === null) return sleepOld(first, second as SleepOptions | undefined);
  checkNumber("ms", second, { min: 0 });
  const ms = second as number;
  checkOptions("options", third);
  const task = sourceOf(first);
  const clock = checkOptionalClock("clock", third?.clock) ?? task.clock ?? realClock;
  const reason = cancelReasonOf(first);
  if (reason !== undefined) return Promise.reject(reason);
  // A task is hooked directly (no AbortSignal is created); a signal, or a scope context's, joins
  // the signal's shared list of waits (one listener however many sleeps).
  if (isAbortSignal(first)) return startWait(ms, first, clock).promise;
  if (isTask(first)) return startTaskWait(ms, first, clock);
  return startWait(ms, first.signal, clock).promise;
}

function sleepOld(ms: number, options?: SleepOptions): Promise<void> {
  // A finite delay: a sleep that never ends is a bug (wait on the signal instead).
  checkNumber("ms", ms, { min: 0 });
  checkOptions("options", options);
  if (isTask(options)) {
    // A task passed as the options: listen to it directly, so its AbortSignal is never created.
    const clock = checkOptionalClock("clock", options.clock) ?? realClock;
    const reason = cancelReasonOf(options);
    if (reason !== undefined) return Promise.reject(reason);
    return startTaskWait(ms, options, clock);
  }
  const signal = checkOptionalSignal("signal", options?.signal);
  const clock = checkOptionalClock("clock", options?.clock) ?? realClock;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return startWait(ms, signal, clock).promise;
}

function isTask(options: object | undefined): options is SleepOptions & TaskContext {
  return options !== undefined && "nursery" in options && "signal" in options;
}
