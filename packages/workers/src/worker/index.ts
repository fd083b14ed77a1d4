// @nursery/workers/worker: the side of a job that runs in the worker thread.
//
// defineJob() turns a job's function into the handler piscina calls. Per job it:
// 1. claims the job with a compare-exchange on its control slot (QUEUED -> RUNNING); a job the
//    caller cancelled before any thread reached it (QUEUED -> SKIPPED on the main thread) is not run;
// 2. calls the function with a JobContext whose `checkpoint()` and `signal` read the shared STOP
//    flag; once `signal` was read, an Atomics.waitAsync on STOP also aborts it from the event loop
//    when the main thread notifies (jobs that never read `signal` cost no AbortController and no
//    waiter);
// 3. turns the outcome into something structured clone carries intact (see internal/wire.ts): the
//    value as is; "cancelled" when the job ended with a cancellation after STOP; else the error,
//    serialized. The waiter is released (Atomics.notify) and the slot marked DONE before the
//    handler returns. A function that returns a plain value is answered synchronously (no
//    promise, no microtask of ours; piscina awaits the handler's result either way): small jobs
//    are the case where a job's own costs show.
import { CancelledError, invalidArgument, isCancellation, type CancelSource } from "@nursery/core";
import { threadId, workerData } from "node:worker_threads";
import { CONTROL_KEY, DONE, QUEUED, RUNNING, STATE, STOP, THREAD, at, readReason } from "../internal/control.js";
import { WIRE, serialize, type Wire } from "../internal/wire.js";
import type { JobContext, JobFunction } from "../job-context.js";

export type { JobContext, JobFunction } from "../job-context.js";

/** What the main thread sends per job. Short keys: they are cloned for every job. */
export interface JobPayload {
  /** The input. */
  readonly i: unknown;
  /** The job's slot in the pool's control memory. */
  readonly s: number;
  /** The job's task name. */
  readonly n: string;
}

/** The pool's control memory, given to this thread as piscina's workerData. */
function control(): Int32Array {
  const memory = (workerData as Record<string, unknown> | null)?.[CONTROL_KEY];
  if (!(memory instanceof Int32Array)) throw new TypeError("this job runs outside a pool made by openPool() of @nursery/workers");
  return memory;
}

/** A job's function as the worker module exports it: made by {@link defineJob}. */
export interface Job<I, O> {
  (payload: JobPayload): O | Promise<O>;
  /** Type-level only: what the job takes and returns. */
  readonly __types?: { input: I; output: O };
}

// Atomics.waitAsync is in Node 16+ (V8 8.7) but not in the ES2023 lib the packages compile against.
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

const CANCELLED: Wire = { [WIRE]: "cancelled" };
const SKIPPED: Wire = { [WIRE]: "skipped" };
const SOURCES: readonly string[] = ["explicit", "signal", "deadline", "sibling-failed", "parent"];

class JobContextImpl implements JobContext {
  readonly name: string;
  readonly #control: Int32Array;
  readonly #slot: number;
  readonly #stop: number;
  #controller: AbortController | undefined = undefined;
  #reason: CancelledError | undefined = undefined;
  #waiting = false;
  #ended = false;

  constructor(memory: Int32Array, slot: number, name: string) {
    this.#control = memory;
    this.#slot = slot;
    this.#stop = at(slot, STOP);
    this.name = name;
  }

  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = this.#controller = new AbortController();
      const wait = waitAsync(this.#control, this.#stop, 0);
      if (wait.async) {
        this.#waiting = true;
        void wait.value.then(() => {
          this.#waiting = false;
          if (!this.#ended && this.stopRequested) this.#abort();
        });
      }
    }
    if (!controller.signal.aborted && this.stopRequested) this.#abort();
    return controller.signal;
  }

  get stopRequested(): boolean {
    return Atomics.load(this.#control, this.#stop) !== 0;
  }

  checkpoint(): void {
    if (Atomics.load(this.#control, this.#stop) === 0) return;
    this.#abort();
    throw this.#reasonOf();
  }

  #reasonOf(): CancelledError {
    if (this.#reason === undefined) {
      const wire = readReason(this.#control, this.#slot);
      const source = (SOURCES.includes(wire.source) ? wire.source : "parent") as CancelSource;
      this.#reason = new CancelledError({ source, detail: wire.detail, nursery: wire.nursery, task: wire.task ?? this.name });
    }
    return this.#reason;
  }

  #abort(): void {
    const controller = this.#controller;
    if (controller !== undefined && !controller.signal.aborted) controller.abort(this.#reasonOf());
  }

  /**
   * The function returned `value`: checks that it can be sent, ends the job and returns it. A
   * function or a symbol is turned into a TypeError, which fails the job.
   */
  succeed<O>(value: O): O {
    if (typeof value === "function" || typeof value === "symbol") {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a Wire: see defineJob
      throw this.fail(new TypeError(`job "${this.name}" returned a ${typeof value}, which cannot be sent to the main thread`));
    }
    this.#end();
    return value;
  }

  /**
   * The function failed with `err`: ends the job and returns what to send back: "cancelled" for a
   * cancellation after STOP, else the error itself, serialized.
   */
  fail(err: unknown): Wire {
    const wire: Wire = this.stopRequested && isCancellation(err) ? CANCELLED : { [WIRE]: "error", error: serialize(err) };
    this.#end();
    return wire;
  }

  /**
   * The job's function settled: release the waiter, so nothing of this job is left in the thread,
   * and mark the slot DONE (before the result is posted: the main thread then never terminates
   * this thread for this job).
   */
  #end(): void {
    this.#ended = true;
    if (this.#waiting) Atomics.notify(this.#control, this.#stop);
    Atomics.store(this.#control, at(this.#slot, STATE), DONE);
  }
}

/**
 * Makes a job's function runnable by a pool: export the result from a worker module and run it with
 * `pool.run(task, input)` on the main thread.
 *
 * The function gets the caller's `input` (structured-cloned) and a {@link JobContext}. Its return
 * value (also cloned) resolves the caller's task. A throw rejects it with an error of the same
 * name, message, stack, `cause` and fields. A cancellation it lets propagate ends it as
 * `"stopped"`. Call `job.checkpoint()` inside CPU loops; pass `job.signal` to async work.
 *
 * @example
 * ```ts
 * // hash-file.mjs (a worker module)
 * import { createHash } from "node:crypto";
 * import { readFileSync } from "node:fs";
 * import { defineJob } from "@nursery/workers/worker";
 *
 * export default defineJob((path, job) => {
 *   const hash = createHash("sha256");
 *   const data = readFileSync(path);
 *   for (let at = 0; at < data.length; at += 1 << 20) {
 *     job.checkpoint();
 *     hash.update(data.subarray(at, at + (1 << 20)));
 *   }
 *   return hash.digest("hex");
 * });
 * ```
 */
export function defineJob<I, O>(fn: JobFunction<I, O>): Job<I, O> {
  if (typeof fn !== "function") throw invalidArgument("fn", "a function", fn);
  let memory: Int32Array | undefined;
  // Not an async function: a job that returns a plain value is answered without a promise or a
  // microtask of its own (piscina awaits whatever the handler returns); one that returns a
  // thenable goes through settleAsync().
  const job = (payload: JobPayload): O | Promise<O> => {
    memory ??= control();
    const slot = payload.s;
    Atomics.store(memory, at(slot, THREAD), threadId);
    // The handler rejects with plain objects on purpose: piscina clones a rejection, and an Error
    // loses its fields on the way (internal/wire.ts); the main thread rebuilds the Error.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (Atomics.compareExchange(memory, at(slot, STATE), QUEUED, RUNNING) !== QUEUED) throw SKIPPED;
    const context = new JobContextImpl(memory, slot, payload.n);
    let result: O | PromiseLike<O>;
    let thenable: boolean;
    try {
      result = fn(payload.i as I, context);
      thenable = isThenable(result);
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a Wire, as above
      throw context.fail(err);
    }
    if (thenable) return settleAsync(result as PromiseLike<O>, context);
    return context.succeed(result as O);
  };
  return job;
}

function isThenable<O>(value: O | PromiseLike<O>): value is PromiseLike<O> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

async function settleAsync<O>(result: PromiseLike<O>, context: JobContextImpl): Promise<O> {
  let value: O;
  try {
    value = await result;
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a Wire: see defineJob
    throw context.fail(err);
  }
  return context.succeed(value);
}
