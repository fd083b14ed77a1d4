// One job on the main thread: the life of a task whose work runs in a worker thread.
//
// Goal. Cancelling the job's task stops the job as gently as its state allows, settles the task
// with a JobCancelledError saying which way it went, and never loses an error.
//
// States and what cancellation does in each:
//   waiting    in the pool's admission queue, no thread has it: unlink, reject "dequeued" at once.
//   submitted  handed to piscina with its control block. If no thread has claimed it yet (the
//              compare-exchange QUEUED -> SKIPPED wins), reject "dequeued" at once: the thread that
//              reaches it later skips it. Otherwise it is running: raise STOP (the worker's
//              checkpoint() and signal see it), and start the grace timer; at its end terminate
//              the job's thread (piscina sees it exit and replaces it) and reject "terminated".
//              If the job ends first, it is "stopped" (or its value / its error).
// Invariants.
// - The task's promise settles once (#settle), and only #settle removes the cancel listener and
//   clears the grace timer.
// - Exactly one cancel listener on the task (core's onCancel, which does not create its signal),
//   and one on a task owner; both removed in #settle.
// - The job's control slot and the pool's count of jobs inside piscina are released once per
//   submission (host.released), when piscina's promise settles, whatever happened to the task
//   before, and only after the slot's state was read; nothing reads the slot after that.
import { onCancel, type CancelReason, type Clock, type TaskContext, type TimerHandle, CancelledError } from "@nursery/core";
import { invalidArgument } from "@nursery/core/adapter";
import type { Piscina } from "piscina";
import { JobCancelledError, WorkerError, type JobOutcome } from "../errors.js";
import { QUEUED, RUNNING, SKIPPED, STATE, THREAD, at, requestStop, resetSlot, type WireReason } from "./control.js";
import { isWire, revive } from "./wire.js";

/** What a job needs from its pool. */
export interface JobHost {
  readonly file: string;
  readonly piscina: Piscina;
  /** The pool's control memory (internal/control.ts). */
  readonly control: Int32Array;
  /** piscina's run() options for jobs of `exportName` without a transfer list (one object per export). */
  runOptions(exportName: string): { readonly filename: string; readonly name: string };
  enqueue(job: Job): void;
  dequeue(job: Job): void;
  released(job: Job): void;
  settled(job: Job): void;
}

const WAITING = 0;
const SUBMITTED = 1;
const SETTLED = 2;

const EXIT_MESSAGE = /^worker exited with code: (-?\d+)/;

export class Job {
  readonly name: string;
  readonly exportName: string;
  readonly grace: number;
  /** Queue membership and links, owned by the pool's JobQueue. */
  queued = false;
  prev: Job | undefined = undefined;
  next: Job | undefined = undefined;
  /** The task this job runs as; set by the pool right after spawn(). */
  task: { cancel(reason?: unknown): void } | undefined = undefined;
  readonly #host: JobHost;
  readonly #input: unknown;
  readonly #transfer: readonly unknown[] | undefined;
  readonly #clock: Clock | undefined;
  #phase = WAITING;
  /** The job's control slot while piscina holds it (from submit() until released(), then -1). */
  slot = -1;
  #cancelled: { reason: unknown } | undefined = undefined;
  #graceTimer: TimerHandle | undefined = undefined;
  #timerClock: Clock | undefined = undefined;
  #terminated = false;
  #outcome: JobOutcome | undefined = undefined;
  #removeCancel: (() => void) | undefined = undefined;
  #removeOwner: (() => void) | undefined = undefined;
  #resolve!: (value: unknown) => void;
  #reject!: (err: unknown) => void;
  readonly promise: Promise<unknown>;

  constructor(host: JobHost, spec: { name: string; exportName: string; grace: number; input: unknown; transfer: readonly unknown[] | undefined; clock: Clock | undefined }) {
    this.#host = host;
    this.name = spec.name;
    this.exportName = spec.exportName;
    this.grace = spec.grace;
    this.#input = spec.input;
    this.#transfer = spec.transfer;
    this.#clock = spec.clock;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Set when a cancelled job settles as a JobCancelledError. */
  get outcome(): JobOutcome | undefined {
    return this.#outcome;
  }

  get settled(): boolean {
    return this.#phase === SETTLED;
  }

  /** The job's task function: listens for the task's cancellation, queues the job, waits for the outcome. */
  start(task: TaskContext): Promise<unknown> {
    this.#timerClock = this.#clock ?? task.clock;
    this.#removeCancel = onCancel(task, (reason) => this.cancel(reason));
    // A task spawned into a cancelling nursery starts cancelled: it then settled above, and is not queued.
    if (this.#phase === WAITING && this.#cancelled === undefined) this.#host.enqueue(this);
    return this.promise;
  }

  /** Takes the remover of the owner task's cancel listener, called when the job settles (at once if it did). */
  link(remove: () => void): void {
    if (this.#phase === SETTLED) remove();
    else this.#removeOwner = remove;
  }

  /** Hands the job to piscina with a free control slot. Called by the pool when a thread can take it. */
  submit(slot: number): void {
    this.#phase = SUBMITTED;
    this.slot = slot;
    resetSlot(this.#host.control, slot);
    // No `signal`: piscina's abortable path costs ~15% of its throughput per job just by being
    // armed (measured on 10,000 small jobs); a job's thread is terminated through #terminate().
    // piscina copies its options, so the pool's object for this export serves every job without a transfer.
    const options = this.#transfer === undefined ? this.#host.runOptions(this.exportName) : { filename: this.#host.file, name: this.exportName, transferList: this.#transfer as never };
    // The slot's state is read first; then the slot is released, which hands the thread its next
    // job before this one's settlement runs (the thread waits less); then the job settles.
    this.#host.piscina.run({ i: this.#input, s: slot, n: this.name }, options).then(
      (value: unknown) => {
        const state = this.#state();
        this.#host.released(this);
        this.#onValue(value, state);
      },
      (err: unknown) => {
        const state = this.#state();
        this.#host.released(this);
        this.#onError(err, state);
      },
    );
  }

  #state(): number {
    return Atomics.load(this.#host.control, at(this.slot, STATE));
  }

  cancel(reason: unknown): void {
    if (this.#phase === SETTLED || this.#cancelled !== undefined) return;
    this.#cancelled = { reason };
    if (this.#phase === WAITING) {
      this.#host.dequeue(this);
      this.#settle(false, new JobCancelledError(reason, this.name, "dequeued", this.grace));
      return;
    }
    const control = this.#host.control;
    if (Atomics.compareExchange(control, at(this.slot, STATE), QUEUED, SKIPPED) === QUEUED) {
      this.#settle(false, new JobCancelledError(reason, this.name, "dequeued", this.grace));
      return;
    }
    requestStop(control, this.slot, wireReason(reason, this.name));
    if (this.grace === 0) this.#terminate();
    else if (this.grace !== Infinity) {
      const clock = this.#timerClock as Clock;
      try {
        this.#graceTimer = clock.setTimer(this.grace, () => {
          this.#graceTimer = undefined;
          this.#terminate();
        });
      } catch (err) {
        // No grace timer can be had: terminate now rather than risk never stopping the thread, and
        // report the broken clock where it cannot be lost (this runs inside a cancel callback).
        this.#terminate();
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /**
   * The grace passed: terminate the thread running the job, found by the threadId it wrote into
   * the slot. piscina sees the thread exit, fails the job (which we report as "terminated") and
   * starts a replacement. Not when the job already finished (DONE: its result is on its way), so
   * the thread is never killed under another job: it cannot get one before its result is read here.
   */
  #terminate(): void {
    if (this.#phase !== SUBMITTED || this.#state() !== RUNNING) return;
    const id = Atomics.load(this.#host.control, at(this.slot, THREAD));
    const thread = this.#host.piscina.threads.find((worker) => worker.threadId === id);
    if (thread === undefined) return;
    this.#terminated = true;
    void thread.terminate();
  }

  #onValue(value: unknown, state: number): void {
    if (this.#phase === SETTLED) return;
    if (state === QUEUED) {
      // The export ran without claiming the job: it is a plain function, not made with defineJob().
      this.#settle(
        false,
        new WorkerError("ERR_WORKER_LOAD", `export \`${this.exportName}\` of ${this.#host.file} is not a job: wrap the function with defineJob() from "@nursery/workers/worker"`, { job: this.name }),
      );
      return;
    }
    this.#settle(true, value);
  }

  #onError(err: unknown, state: number): void {
    if (this.#phase === SETTLED) return;
    const reason = this.#cancelled?.reason;
    if (isWire(err)) {
      const kind = err["@nursery/workers:wire"];
      if (kind === "error") this.#settle(false, revive(err.error));
      else this.#settle(false, new JobCancelledError(reason, this.name, "stopped", this.grace));
      return;
    }
    if (this.#terminated) {
      this.#settle(false, new JobCancelledError(reason, this.name, "terminated", this.grace));
      return;
    }
    if (state === QUEUED) {
      const bad = cloneFailure(err, this.#input, this.#transfer);
      if (bad !== undefined) {
        this.#settle(false, bad);
        return;
      }
    }
    this.#settle(false, threadFailure(err, this, state === QUEUED, this.#host.file));
  }

  #settle(ok: boolean, value: unknown): void {
    if (this.#phase === SETTLED) return;
    this.#phase = SETTLED;
    this.#removeCancel?.();
    this.#removeOwner?.();
    this.#removeCancel = this.#removeOwner = undefined;
    if (this.#graceTimer !== undefined) {
      (this.#timerClock as Clock).clearTimer(this.#graceTimer);
      this.#graceTimer = undefined;
    }
    if (!ok && value instanceof JobCancelledError) this.#outcome = value.outcome;
    this.#host.settled(this);
    if (ok) this.#resolve(value);
    else this.#reject(value);
  }
}

/**
 * The input or the transfer list could not be posted to the thread (a function, a symbol, a
 * duplicate or invalid transfer entry): a bad argument of run(), so the house TypeError naming it,
 * with the clone's error as `cause`. Known only once piscina posted the job: checking each input
 * with a clone of our own would double every job's copying.
 */
function cloneFailure(err: unknown, input: unknown, transfer: readonly unknown[] | undefined): TypeError | undefined {
  const name = nameOf(err);
  let code: unknown;
  try {
    code = (err as { code?: unknown } | null)?.code;
  } catch {
    code = undefined;
  }
  if (name !== "DataCloneError" && code !== "ERR_INVALID_TRANSFER_OBJECT") return undefined;
  const message = messageOf(err);
  const isTransfer = code === "ERR_INVALID_TRANSFER_OBJECT" || /transfer/i.test(message);
  const failure = isTransfer
    ? invalidArgument("transfer", `a list of transferable objects, each once (${message})`, transfer)
    : invalidArgument("input", `a value structured clone can copy (${message})`, input);
  Object.defineProperty(failure, "cause", { value: err, writable: true, configurable: true });
  return failure;
}

/** A rejection from piscina that is not ours: the thread died, or the module could not be loaded. */
function threadFailure(err: unknown, job: Job, neverStarted: boolean, file: string): WorkerError {
  const message = messageOf(err);
  if (neverStarted) {
    return new WorkerError("ERR_WORKER_LOAD", `job "${job.name}" could not start: ${message} (worker module ${file}, export \`${job.exportName}\`)`, { job: job.name, cause: err });
  }
  const exit = EXIT_MESSAGE.exec(message);
  if (exit !== null) {
    const code = Number(exit[1]);
    return new WorkerError(
      "ERR_WORKER_EXIT",
      `the worker thread running job "${job.name}" exited with code ${code} before the job finished (process.exit() in the worker, or the thread was terminated)`,
      { job: job.name, exitCode: code },
    );
  }
  if (message === "Terminating worker thread") {
    return new WorkerError("ERR_WORKER_EXIT", `the worker thread running job "${job.name}" was terminated before the job finished`, { job: job.name, cause: err });
  }
  // Node sends some uncaught errors across without their message: a DataCloneError from posting
  // the result arrives as `{}` on Node 20 and as an `Error` with an empty message on Node 22+.
  const what =
    (nameOf(err) === undefined && message === "[object Object]") || message === ""
      ? "with an error that could not be sent to the main thread (a result structured clone cannot copy, such as a function or an object holding one, ends a thread this way)"
      : message;
  return new WorkerError("ERR_WORKER_CRASHED", `the worker thread running job "${job.name}" crashed: ${what}`, { job: job.name, cause: err });
}

function messageOf(err: unknown): string {
  try {
    const message = (err as { message?: unknown } | null)?.message;
    return typeof message === "string" ? message : String(err);
  } catch {
    return "an error that cannot be read";
  }
}

function nameOf(err: unknown): unknown {
  try {
    return (err as { name?: unknown } | null)?.name;
  } catch {
    return undefined;
  }
}

/** The main thread's reason as text the worker can rebuild a CancelledError from. */
function wireReason(reason: unknown, job: string): WireReason {
  if (!(reason instanceof CancelledError)) return { source: "explicit", task: job, ...detailOf(reason) };
  const r: CancelReason = reason.reason;
  const out: WireReason = { source: r.source, ...detailOf(r.detail) };
  if (r.nursery !== undefined) out.nursery = r.nursery;
  if (r.task !== undefined) out.task = r.task;
  return out;
}

function detailOf(detail: unknown): { detail?: string | number } {
  if (typeof detail === "string" || typeof detail === "number") return { detail };
  try {
    if (detail instanceof Error) return { detail: detail.message };
  } catch {
    // A revoked Proxy: no detail.
  }
  return {};
}
