import { cancelReasonOf, realClock, type Clock, type TaskContext } from "@nursery/core";
import { startTaskWait, startWait } from "./internal/waiter.js";
import { checkNumber, checkOptionalClock, checkOptionalSignal, checkOptions } from "@nursery/core/adapter";

/**
 * Options of {@link sleep} and {@link interval}. A task's context has both fields, so a task can
 * pass itself: `sleep(1_000, task)`.
 */
export interface SleepOptions {
  /** Cancels the wait. Pass the task's `signal`; without one the wait cannot be cancelled. */
  signal?: AbortSignal;
  /** Source of time. Default `realClock`; pass the task's `clock` so a virtual clock reaches it. */
  clock?: Clock;
}

/**
 * Waits `ms` milliseconds, or until `signal` aborts, whichever comes first.
 *
 * Use it wherever a task pauses: backoff between retries, polling, rate limiting. Pass the task's
 * context as the options (`sleep(ms, task)`) so the wait is cancelled with the task and follows the
 * nursery's clock (a `VirtualClock` in tests).
 *
 * - Success: resolves with `undefined` after `ms` ms on `clock` (delays above 2^31-1 ms are chunked
 *   by the clock, they do not fire early).
 * - Cancellation: if `signal` is already aborted, rejects at once without setting a timer;
 *   if it aborts during the wait, clears the timer and rejects with `signal.reason` itself (for a
 *   task, its `CancelledError`), not a new wrapper error.
 * - Bad input: throws `TypeError` synchronously when `ms` is not a finite number >= 0, or when an
 *   option has the wrong type.
 *
 * Costs: one timer. Passed a task, a sleep creates no AbortSignal: it hooks the task directly
 * through core's `onCancel`. Passed a signal, it adds no per-call listener: All pending sleeps (and intervals) on one signal share
 * a single abort listener, removed when the last of them settles, so the signal's listener count
 * is back to its baseline as soon as nothing waits on it, and 100k concurrent sleeps on one signal
 * cost O(n), not O(n^2).
 *
 * @example
 * ```ts
 * await nursery(async (n) => {
 *   n.spawn(async (task) => {
 *     for (let attempt = 0; ; attempt++) {
 *       if (await poll(task.signal)) return;
 *       await sleep(2 ** attempt * 100, task); // cancelled with the task
 *     }
 *   });
 * });
 * ```
 */
export function sleep(ms: number, options?: SleepOptions): Promise<void> {
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

function isTask(options: SleepOptions | undefined): options is SleepOptions & TaskContext {
  return options !== undefined && "nursery" in options && "signal" in options;
}
