// What a job's function receives in its worker thread.

/**
 * The second argument of a job's function, in the worker thread: the job's cancellation, as an
 * `AbortSignal` for async code and as `checkpoint()` for CPU loops.
 *
 * When the caller's task is cancelled, `signal` aborts (its `reason` a `CancelledError` with the
 * caller's source, detail, nursery and task) and `checkpoint()` throws that reason. Let it
 * propagate: `finally` blocks run in the worker, and the caller's task settles with a
 * `JobCancelledError` whose `outcome` is `"stopped"`. Open nurseries with `{ signal: job.signal }`
 * to make them children of the job: they are torn down newest-first, in the worker.
 */
export interface JobContext {
  /**
   * Aborts when the job is cancelled. Each read also checks the shared cancellation flag, so
   * `job.signal.aborted` is current even inside a loop that never yields to the event loop.
   */
  readonly signal: AbortSignal;
  /** The job's task name, as the caller sees it. */
  readonly name: string;
  /**
   * Throws the cancellation reason if the job was cancelled; otherwise returns at once. Synchronous
   * and cheap (one `Atomics.load` on shared memory): call it inside CPU loops, which never give
   * the event loop a turn and so never see `signal` abort by itself.
   */
  checkpoint(): void;
}

/** A job's function: runs in a worker thread with the input the caller passed, returns what it resolves with. */
export type JobFunction<I, O> = (input: I, job: JobContext) => O | PromiseLike<O>;
