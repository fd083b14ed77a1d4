// flushBeforeExit(): the exporter's flush as the last cleanup of a program under run().
//
// Goal. Spans are exported in batches, after they end; a program that exits right after its work
// loses the last batch, which holds the spans that matter most (the root, the failure, the
// shutdown). The flush must run after every other cleanup and before the exit, bounded in time.
//
// Design. run() cancels its root task, `main`, last: main is the root nursery's first child, and
// every nursery main opens settles before main's function does. So wrapping main is enough: the
// wrapper's cleanup runs after all others, on success, failure and Ctrl+C alike, and needs nothing
// from run(). The wrapper ends main's span (and the root nursery's) itself with main's outcome,
// then flushes, with at most `timeout` ms for the flush.
//
// The straggler. A task that ignores its cancellation keeps main from returning, and run() exits
// at `shutdownTimeout` without running any more JavaScript after its report. So when main's
// signal aborts, a timer is armed for `timeout` ms before that: it ends the open spans, marked
// `nursery.abandoned = "shutdown-timeout"`, and flushes. The wrapper must be told run()'s
// `shutdownTimeout` (default the same 10 s).
//
// Known limits. A second Ctrl+C ("force") exits at once: nothing is flushed then.
import {
  NurseryError,
  TimeoutError,
  cancelReasonOf,
  invalidArgument,
  isCancellation,
  onCancel,
  type TaskContext,
} from "@nursery/core";
import { endTaskSpan, type Tracing } from "./tracing.js";

/** Options of {@link flushBeforeExit}. */
export interface FlushOptions {
  /** Exports what is buffered, e.g. `() => provider.forceFlush()`. */
  flush: () => unknown;
  /** The tracing whose spans are ended before the flush, so that main's and the root's are exported too. */
  tracing?: Tracing;
  /** Ms the flush may take. Default 2 000. A flush that takes longer fails main with `TimeoutError`. */
  timeout?: number;
  /** The `shutdownTimeout` given to run() (default 10 000): stragglers' spans are flushed `timeout` ms before it passes. */
  shutdownTimeout?: number;
}

function checkMs(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0)) throw invalidArgument(name, "a number >= 0 or Infinity", value);
  return value;
}

/** Runs `flush()`, rejecting with TimeoutError after `ms`; the timer never keeps the process alive. */
async function bounded(flush: () => unknown, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    if (ms !== Infinity) {
      timer = setTimeout(() => reject(new TimeoutError(ms, "flush")), ms);
      timer.unref();
    }
  });
  try {
    await Promise.race([Promise.resolve().then(flush), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Wraps the `main` of `run()` so that `flush()` runs as its last cleanup: after every task main
 * started has settled, on success, failure and Ctrl+C alike, bounded by `timeout` ms. When a task
 * ignores its cancellation, the open spans are ended (marked `nursery.abandoned`) and flushed
 * `timeout` ms before run()'s `shutdownTimeout` passes.
 *
 * - Success: resolves with main's value once the flush is done.
 * - Error: rejects with main's error; a failing or late flush is an error too (both, in a
 *   `NurseryError`, when main failed as well).
 * - Cancellation: main's cancellation is passed on after the flush, so run() exits 130/143.
 *
 * @example
 * ```ts
 * await run(flushBeforeExit(main, { flush: () => provider.forceFlush(), tracing }));
 * ```
 */
export function flushBeforeExit<T>(
  main: (task: TaskContext) => T | PromiseLike<T>,
  options: FlushOptions,
): (task: TaskContext) => Promise<T> {
  if (typeof main !== "function") throw invalidArgument("main", "a function", main);
  if (typeof options !== "object" || options === null) throw invalidArgument("options", "an object", options);
  const { flush, tracing } = options;
  if (typeof flush !== "function") throw invalidArgument("options.flush", "a function", flush);
  if (tracing !== undefined && (typeof tracing !== "object" || tracing === null || typeof tracing.endOpenSpans !== "function")) {
    throw invalidArgument("options.tracing", "a Tracing from openTracing()", tracing);
  }
  const timeout = checkMs("options.timeout", options.timeout, 2_000);
  const shutdownTimeout = checkMs("options.shutdownTimeout", options.shutdownTimeout, 10_000);

  return async function flushedMain(task: TaskContext): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopListening = onCancel(task, () => {
      if (shutdownTimeout === Infinity) return;
      timer = setTimeout(() => {
        // Whatever happens here, run() exits now: a failure still reaches run()'s report, and a
        // span that fails to end does not keep the others from the flush.
        const report = (err: unknown): void => queueMicrotask(() => { throw err; });
        try {
          tracing?.endOpenSpans("shutdown-timeout");
        } catch (err) {
          report(err);
        }
        bounded(flush, timeout).catch(report);
      }, Math.max(0, shutdownTimeout - timeout));
      timer.unref();
    });
    let ok = true;
    let outcome: unknown;
    try {
      outcome = await main(task);
    } catch (err) {
      ok = false;
      outcome = err;
    } finally {
      stopListening();
      clearTimeout(timer);
    }
    const cancelled = !ok && cancelReasonOf(task) !== undefined && isCancellation(outcome);
    // Ending the spans and flushing each run whatever the one before did: a span processor whose
    // onEnd throws must not cost the flush of every span already buffered.
    const failures: unknown[] = [];
    if (tracing !== undefined) {
      try {
        endTaskSpan(tracing, task, ok ? "fulfilled" : cancelled ? "cancelled" : "rejected", outcome);
      } catch (err) {
        failures.push(err);
      }
      try {
        tracing.endOpenSpans("exit");
      } catch (err) {
        failures.push(err);
      }
    }
    try {
      await bounded(flush, timeout);
    } catch (err) {
      failures.push(err);
    }
    if (failures.length > 0) {
      throw ok || cancelled ? (failures.length === 1 ? failures[0] : new NurseryError(failures, task.name)) : new NurseryError([outcome, ...failures], task.name);
    }
    if (!ok) throw outcome;
    return outcome as T;
  };
}
