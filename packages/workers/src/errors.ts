// The errors of @nursery/workers, defined with core's adapter kit (`defineErrorClass`): a stable
// code and a brand that makes `instanceof` hold across two installed copies of this package.
import { CancelledError, type CancelReason } from "@nursery/core";
import { defineErrorClass } from "@nursery/core/adapter";

/**
 * How a cancelled job ended, in {@link JobCancelledError.outcome}:
 * - `"dequeued"`: no thread had started it; it was removed from the queue at once and never ran.
 * - `"stopped"`: it was running, saw the cancellation (its `signal` or `checkpoint()`), and ended
 *   within its grace; its `finally` blocks ran in the worker.
 * - `"terminated"`: it was running and did not end within `grace` ms; its thread was terminated
 *   and piscina started a replacement; its cleanup did not run.
 */
export type JobOutcome = "dequeued" | "stopped" | "terminated";

function outcomeText(outcome: JobOutcome, grace: number): string {
  switch (outcome) {
    case "dequeued":
      return "was removed from the queue before a thread started it";
    case "stopped":
      return "stopped in its worker thread";
    case "terminated":
      return `did not stop within its ${grace} ms grace; its worker thread was terminated`;
  }
}

/**
 * What a cancelled job's task rejects with: a `CancelledError` (so `isCancellation()` is true and
 * the nursery counts it as cancellation, never as an error) with the task's own `reason` (same
 * `source`, `detail`, `nursery`, `task`), the task's `CancelledError` as `cause`, and the
 * {@link JobOutcome}: whether the job was removed from the queue, stopped cooperatively, or had its
 * thread terminated after the grace.
 *
 * @example
 * ```ts
 * try { await job } catch (err) {
 *   if (err instanceof JobCancelledError && err.outcome === "terminated") console.warn(err.message);
 *   throw err;
 * }
 * ```
 */
export class JobCancelledError extends CancelledError {
  /** How the job ended: `"dequeued"`, `"stopped"` or `"terminated"`. */
  readonly outcome: JobOutcome;
  /** The job's task name. */
  readonly job: string;

  constructor(cancelled: unknown, job: string, outcome: JobOutcome, grace: number) {
    const reason: CancelReason =
      cancelled instanceof CancelledError
        ? cancelled.reason
        : { source: "explicit", detail: cancelled, nursery: undefined, task: job };
    super(reason);
    this.outcome = outcome;
    this.job = job;
    this.message = `${this.message}; job "${job}" ${outcomeText(outcome, grace)}`;
    Object.defineProperty(this, "cause", { value: cancelled, writable: true, configurable: true });
  }
}
// Its `code` stays core's ERR_CANCELLED (it is a CancelledError); the brand under this package's
// scope is what tells it apart.
defineErrorClass(JobCancelledError, { scope: "@nursery/workers", name: "JobCancelledError", code: "ERR_JOB_CANCELLED" });

/** The stable codes of {@link WorkerError}. */
export type WorkerErrorCode = "ERR_WORKER_EXIT" | "ERR_WORKER_CRASHED" | "ERR_WORKER_LOAD" | "ERR_POOL_CLOSED";

/**
 * A job failed because of its thread, not because its function threw (a thrown error reaches you
 * as itself: its name, message, stack, `cause` and fields):
 * - `ERR_WORKER_EXIT`: the thread exited while running the job (`process.exit()` in the worker, or
 *   it was terminated); `exitCode` says with what.
 * - `ERR_WORKER_CRASHED`: an uncaught exception ended the thread (a throw in a timer callback, or a
 *   result that cannot be cloned); `cause` is that error.
 * - `ERR_WORKER_LOAD`: the worker module could not be loaded, or its export is not a function made
 *   with `defineJob()`; `cause` says why.
 * - `ERR_POOL_CLOSED`: `run()` on a pool that was closed or whose nursery is ending (thrown).
 *
 * The pool replaces a thread that died; other jobs are not affected.
 */
export class WorkerError extends Error {
  /** One of {@link WorkerErrorCode}. */
  readonly code: WorkerErrorCode;
  /** The job's task name (`undefined` for `ERR_POOL_CLOSED`). */
  readonly job: string | undefined;
  /** The thread's exit code for `ERR_WORKER_EXIT`, else `null`. */
  readonly exitCode: number | null;

  constructor(code: WorkerErrorCode, message: string, details: { job?: string; exitCode?: number | null; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.job = details.job;
    this.exitCode = details.exitCode ?? null;
  }
}
defineErrorClass(WorkerError, {
  scope: "@nursery/workers",
  name: "WorkerError",
  code: ["ERR_WORKER_EXIT", "ERR_WORKER_CRASHED", "ERR_WORKER_LOAD", "ERR_POOL_CLOSED"],
});
