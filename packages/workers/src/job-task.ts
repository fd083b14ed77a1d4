// The task a job runs as, as its caller holds it.
import type { Task } from "@nursery/core";
import type { JobOutcome } from "./errors.js";

/**
 * A job's task: a child of the caller's nursery (in its task trees, cancelled with it, newest-first),
 * with the job's cancellation outcome. Awaiting it resolves with the job's value or rejects with its
 * error; a cancelled job rejects with a `JobCancelledError`: the task's own `CancelledError` as
 * `cause`, the same `reason`, and `outcome`.
 */
export interface JobTask<O> extends Task<O> {
  /** How the job ended if it was cancelled (`"dequeued"`, `"stopped"`, `"terminated"`); `undefined` otherwise. */
  readonly outcome: JobOutcome | undefined;
}
