// The pool's admission queue: jobs waiting for a thread, oldest first. An intrusive doubly linked
// list (links on the Job), so removing a cancelled job is O(1) wherever it is: 1,000 queued jobs
// cancelled newest-first cost 1,000 unlinks, not 1,000 searches. A job is in the list exactly
// when its `queued` is true.
import type { Job } from "./job.js";

export class JobQueue {
  #head: Job | undefined = undefined;
  #tail: Job | undefined = undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(job: Job): void {
    job.prev = this.#tail;
    job.next = undefined;
    if (this.#tail === undefined) this.#head = job;
    else this.#tail.next = job;
    this.#tail = job;
    job.queued = true;
    this.#size++;
  }

  shift(): Job | undefined {
    const job = this.#head;
    if (job !== undefined) this.remove(job);
    return job;
  }

  remove(job: Job): void {
    if (!job.queued) return;
    job.queued = false;
    const { prev, next } = job;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    job.prev = job.next = undefined;
    this.#size--;
  }

  /** The queued jobs, oldest first. */
  *[Symbol.iterator](): IterableIterator<Job> {
    for (let job = this.#head; job !== undefined; job = job.next) yield job;
  }
}
