// JobTask's implementation: the nursery's task for name, state and cancel(); the job's own promise
// for the outcome, so that a cancelled job rejects with its JobCancelledError (the nursery's task
// would reject with the bare CancelledError, which cannot say how the job ended).
import type { Task, TaskState } from "@nursery/core";
import type { JobOutcome } from "../errors.js";
import type { JobTask } from "../job-task.js";
import type { Job } from "./job.js";

export class JobTaskImpl<O> implements JobTask<O> {
  readonly #task: Task<unknown>;
  readonly #job: Job;

  constructor(task: Task<unknown>, job: Job) {
    this.#task = task;
    this.#job = job;
  }

  get name(): string {
    return this.#task.name;
  }

  get state(): TaskState {
    return this.#task.state;
  }

  get outcome(): JobOutcome | undefined {
    return this.#job.outcome;
  }

  cancel(reason?: unknown): void {
    this.#task.cancel(reason);
  }

  then<R1 = O, R2 = never>(
    onfulfilled?: ((value: O) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return (this.#job.promise as Promise<O>).then(onfulfilled, onrejected);
  }

  get [Symbol.toStringTag](): string {
    return "Task";
  }
}
