// @nursery/workers: worker-thread jobs as tasks, on a piscina pool owned by a nursery.
// The worker side (defineJob, JobContext) is the "@nursery/workers/worker" entry.
export { openPool, type WorkerPool } from "./open-pool.js";
export type { JobTask } from "./job-task.js";
export type { PoolOptions, RunJobOptions } from "./options.js";
export { JobCancelledError, WorkerError, type JobOutcome, type WorkerErrorCode } from "./errors.js";
export type { JobContext, JobFunction } from "./job-context.js";
