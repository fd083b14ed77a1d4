// openPool(): a piscina pool owned by a nursery, whose jobs are tasks.
//
// Goal. No worker thread outlives the nursery that opened the pool, every job is a named task in
// its caller's nursery (task trees, shutdown reports, reverse-order cancellation), and a cancelled
// job is stopped cooperatively before its thread is terminated.
//
// Ownership. openPool spawns a keeper task ("pool <file>") into the owner's nursery. It lives until
// the pool is closed (`close()`, `await using`) or cancelled, so the nursery cannot finish while
// threads exist. Jobs spawned into the same nursery are newer than the keeper, so a cancelled
// nursery stops them first, newest-first, and the keeper last: it then cancels any job still
// running elsewhere, waits for every job to settle, and destroys the threads (piscina's destroy(),
// which resolves once each thread exited).
//
// Admission. Jobs wait in our own queue and are handed to piscina only while fewer than
// `maxThreads` are inside it, so every job piscina holds is running or about to start on a free
// thread. That keeps cancelling a queued job O(1) and free of piscina (whose abortable path costs
// ~15% of its throughput per job, measured), and leaves piscina what it is for: threads, dispatch,
// handling a thread's exit and replacing it. See docs/design/decisions/workers-pool.md.
//
// Invariants.
// - `#unsettled` counts this pool's jobs whose task has not settled: each is either in `#queue` or
//   in `#bySlot` (handed to piscina). `#inside` counts submissions whose piscina promise has not
//   settled (<= maxThreads); `#bySlot[slot]` is the job holding that slot. (A Set of every job was the
//   largest of this package's own costs per job in a profile of 10,000 queued jobs.)
// - Once `#state` leaves OPEN, run() throws ERR_POOL_CLOSED; the threads are destroyed exactly once,
//   after `#unsettled` is 0.
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import type { Worker } from "node:worker_threads";
import { Piscina } from "piscina";
import { onCancel, type Clock, type Nursery, type TaskContext } from "@nursery/core";
import { checkClock, checkCount, checkDuration, checkNumber, checkOptionsRecord, checkString, invalidArgument as invalid, isRecord } from "@nursery/core/adapter";
import { WorkerError } from "./errors.js";
import { CONTROL_KEY, newControl } from "./internal/control.js";
import { Job, type JobHost } from "./internal/job.js";
import { JobQueue } from "./internal/job-queue.js";
import { JobTaskImpl } from "./internal/job-task.js";
import { checkExecArgv, execArgvError } from "./internal/exec-argv.js";
import { checkOwner } from "./internal/owner.js";
import { checkWorkerFile } from "./internal/worker-file.js";
import type { JobTask } from "./job-task.js";
import type { PoolOptions, RunJobOptions } from "./options.js";

/** A pool of worker threads owned by a nursery. Made by {@link openPool}. */
export interface WorkerPool<I = unknown, O = unknown> extends AsyncDisposable {
  /** The keeper task's name. */
  readonly name: string;
  /** Live worker threads. 0 once the pool is closed. */
  readonly threads: number;
  /** Jobs waiting for a thread. */
  readonly queued: number;
  /** Jobs handed to a thread (running, or about to start). */
  readonly running: number;
  /**
   * Runs the worker module's export (made with `defineJob`) with `input` on a thread, as a task in
   * the owner's nursery (the owner itself, or a task's nursery), and returns that task.
   *
   * - Resolves with the job's return value.
   * - Rejects with the job's error (name, message, stack, `cause`, fields), or a `WorkerError` when
   *   the thread died or the module could not be loaded, or a `TypeError` naming `input` or
   *   `transfer` when they cannot be posted to the thread. Either way the nursery gets it too.
   * - Cancellation (the task, its nursery, or a task owner): a queued job is removed at once; a
   *   running one is asked to stop and gets `grace` ms before its thread is terminated. It rejects
   *   with a `JobCancelledError` whose `outcome` says which (also `task.outcome`).
   *
   * Throws `WorkerError` (`ERR_POOL_CLOSED`) once the pool is closing, `NurseryClosedError` when the
   * owner's nursery finished, and `TypeError` for bad arguments.
   */
  run(owner: Nursery | TaskContext, input: I, options?: RunJobOptions): JobTask<O>;
  /**
   * Closes the pool: no new jobs; waits for the queued and running ones to finish, then stops every
   * thread. Resolves once they exited. Idempotent. `await using pool = openPool(...)` calls it.
   */
  close(): Promise<void>;
}

const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;
const DEFAULT_GRACE = 5000;
const RESOURCE_LIMITS = ["maxOldGenerationSizeMb", "maxYoungGenerationSizeMb", "codeRangeSizeMb", "stackSizeMb"] as const;

class Pool implements WorkerPool, JobHost {
  readonly name: string;
  readonly file: string;
  readonly piscina: Piscina;
  readonly control: Int32Array;
  /** Control slots not held by a job inside piscina. */
  readonly #freeSlots: number[];
  readonly #base: string;
  readonly #grace: number;
  readonly #clock: Clock | undefined;
  readonly #capacity: number;
  readonly #queue = new JobQueue();
  #unsettled = 0;
  readonly #bySlot: Array<Job | undefined> = [];
  #inside = 0;
  #state = OPEN;
  #failure: { error: unknown } | undefined = undefined;
  #keeperReason: { reason: unknown } | undefined = undefined;
  readonly #closed: Promise<void>;
  #markClosed!: () => void;
  /** Every thread piscina started that has not emitted 'exit' (see #trackThreads). */
  readonly #live = new Set<Worker>();

  constructor(nursery: Nursery, file: string, options: Record<string, unknown>) {
    this.file = file;
    this.#base = basename(file);
    this.name = options["name"] === undefined ? `pool ${this.#base}` : checkString("name", options["name"]);
    this.#grace = options["grace"] === undefined ? DEFAULT_GRACE : checkDuration("grace", options["grace"]);
    this.#clock = options["clock"] === undefined ? undefined : checkClock("clock", options["clock"]);
    const threads: Record<string, unknown> = {};
    if (options["maxThreads"] !== undefined) threads["maxThreads"] = checkCount("maxThreads", options["maxThreads"], 1);
    if (options["minThreads"] !== undefined) threads["minThreads"] = checkCount("minThreads", options["minThreads"], 0);
    if (options["idleTimeout"] !== undefined) threads["idleTimeout"] = checkDuration("idleTimeout", options["idleTimeout"]);
    if (options["resourceLimits"] !== undefined) {
      const limits = options["resourceLimits"];
      if (!isRecord(limits)) throw invalid("resourceLimits", "an object", limits);
      // new Worker() ignores a limit that is not a number: a typo'd value would give no limit at all.
      for (const key of RESOURCE_LIMITS) if (limits[key] !== undefined) checkNumber(`resourceLimits.${key}`, limits[key], { min: 0, above: true });
      threads["resourceLimits"] = options["resourceLimits"];
    }
    if (options["execArgv"] !== undefined) {
      const argv = options["execArgv"];
      if (!Array.isArray(argv) || argv.some((a) => typeof a !== "string")) throw invalid("execArgv", "an array of strings", argv);
      threads["execArgv"] = argv;
    }
    if (typeof threads["minThreads"] === "number" && typeof threads["maxThreads"] === "number" && threads["minThreads"] > threads["maxThreads"]) {
      throw invalid("minThreads", `an integer <= maxThreads (${threads["maxThreads"]})`, threads["minThreads"]);
    }
    this.#closed = new Promise((resolve) => (this.#markClosed = resolve));
    // No `filename` here: piscina would load it as each thread starts, and a module that cannot load
    // would crash threads with no job to report it to. Given per job, the failure is that job's.
    // piscina's default maxThreads (1.5 x the cores) can be fractional; pass a whole number, which is
    // also the number of control slots (one per job piscina holds).
    const maxThreads = Math.max((threads["maxThreads"] as number | undefined) ?? Math.ceil(availableParallelism() * 1.5), (threads["minThreads"] as number | undefined) ?? 0);
    threads["maxThreads"] = maxThreads;
    this.#capacity = maxThreads;
    this.control = newControl(maxThreads);
    this.#freeSlots = Array.from({ length: maxThreads }, (_, i) => maxThreads - 1 - i);
    const argv = threads["execArgv"] as string[] | undefined;
    if (argv !== undefined && threads["minThreads"] === 0) checkExecArgv(argv);
    try {
      this.piscina = new Piscina({ ...threads, workerData: { [CONTROL_KEY]: this.control } });
    } catch (err) {
      throw argv === undefined ? err : execArgvError(err, argv);
    }
    this.#trackThreads();
    this.piscina.on("workerCreate", () => this.#trackThreads());
    try {
      nursery.spawn((keeper) => this.#keep(keeper), { name: this.name });
    } catch (err) {
      // A finished nursery (NurseryClosedError): the threads it would have owned go at once.
      void this.piscina.destroy();
      throw err;
    }
    // An uncaught exception in an idle thread (a timer a job left behind): a real error, reported
    // through the keeper. Without a listener an 'error' event would crash the process.
    this.piscina.on("error", (err: unknown) => this.#fail(new WorkerError("ERR_WORKER_CRASHED", `a worker thread of ${this.name} crashed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })));
  }

  get threads(): number {
    return this.piscina.threads.length;
  }

  get queued(): number {
    return this.#queue.size;
  }

  get running(): number {
    return this.#inside;
  }

  run(owner: Nursery | TaskContext, input: unknown, options?: RunJobOptions): JobTask<unknown> {
    const { nursery, task: ownerTask } = checkOwner("owner", owner);
    const o = checkOptionsRecord("options", options);
    const exportName = o["export"] === undefined ? "default" : checkString("export", o["export"]);
    const name = o["name"] === undefined ? this.#defaultName(exportName) : checkString("name", o["name"]);
    const grace = o["grace"] === undefined ? this.#grace : checkDuration("grace", o["grace"]);
    const transfer = o["transfer"];
    if (transfer !== undefined && !Array.isArray(transfer)) throw invalid("transfer", "an array of transferable objects", transfer);
    if (this.#state !== OPEN) throw new WorkerError("ERR_POOL_CLOSED", `${this.name} is closed: no new jobs can run on it`);
    const job = new Job(this, { name, exportName, grace, input, transfer: transfer as unknown[] | undefined, clock: this.#clock });
    const task = nursery.spawn((t) => job.start(t), { name });
    job.task = task;
    if (ownerTask !== undefined) job.link(onCancel(ownerTask, (reason) => task.cancel(reason)));
    return new JobTaskImpl(task, job);
  }

  /** Per export: the default job name and piscina's run() options, made once. */
  #exports = new Map<string, { readonly name: string; readonly options: { readonly filename: string; readonly name: string } }>();

  #export(exportName: string): { readonly name: string; readonly options: { readonly filename: string; readonly name: string } } {
    let entry = this.#exports.get(exportName);
    if (entry === undefined) {
      entry = { name: `job ${this.#base}${exportName === "default" ? "" : `#${exportName}`}`, options: { filename: this.file, name: exportName } };
      this.#exports.set(exportName, entry);
    }
    return entry;
  }

  #defaultName(exportName: string): string {
    return this.#export(exportName).name;
  }

  close(): Promise<void> {
    if (this.#state === OPEN) {
      this.#state = CLOSING;
      this.#maybeDestroy();
    }
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ===== JobHost: called by jobs =====

  runOptions(exportName: string): { readonly filename: string; readonly name: string } {
    return this.#export(exportName).options;
  }

  enqueue(job: Job): void {
    this.#unsettled++;
    this.#queue.push(job);
    this.#pump();
  }

  dequeue(job: Job): void {
    this.#queue.remove(job);
  }

  released(job: Job): void {
    this.#bySlot[job.slot] = undefined;
    this.#freeSlots.push(job.slot);
    job.slot = -1;
    this.#inside--;
    this.#pump();
  }

  settled(_job: Job): void {
    this.#unsettled--;
    if (this.#state === CLOSING) this.#maybeDestroy();
  }

  // ===== Lifecycle =====

  #pump(): void {
    while (this.#inside < this.#capacity && this.#queue.size > 0) {
      const job = this.#queue.shift() as Job;
      this.#inside++;
      const slot = this.#freeSlots.pop() as number;
      this.#bySlot[slot] = job;
      job.submit(slot);
    }
  }

  #keep(keeper: TaskContext): Promise<void> {
    const remove = onCancel(keeper, (reason) => {
      this.#keeperReason = { reason };
      this.#shutDown(reason);
    });
    return this.#closed.then(() => {
      remove();
      if (this.#failure !== undefined) throw this.#failure.error;
      if (this.#keeperReason !== undefined) throw this.#keeperReason.reason;
    });
  }

  /** Cancellation or failure: cancel every job still unsettled (jobs of other nurseries too), then close. */
  #shutDown(reason: unknown): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSING;
    const unsettled = [...this.#queue, ...this.#bySlot.filter((job): job is Job => job !== undefined && !job.settled)];
    for (const job of unsettled.reverse()) job.task?.cancel(reason);
    this.#maybeDestroy();
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#shutDown(error);
  }

  /**
   * Notes each thread piscina lists, until its 'exit'. piscina's destroy() waits only for the
   * threads still in its list: one it already let go (an idle thread above minThreads, removed at
   * once with the default idleTimeout 0; a thread that emitted 'error') may still be ending, and a
   * process that exits while a Worker is mid-teardown can abort (SIGABRT). close() waits for these too.
   */
  #trackThreads(): void {
    for (const worker of this.piscina.threads) {
      if (this.#live.has(worker) || worker.threadId === -1) continue;
      this.#live.add(worker);
      worker.once("exit", () => this.#live.delete(worker));
    }
  }

  /** Resolves once every thread this pool ever had emitted 'exit'. */
  #allExited(): Promise<void> {
    return Promise.all([...this.#live].filter((w) => w.threadId !== -1).map((w) => new Promise<void>((resolve) => w.once("exit", () => resolve())))).then(() => undefined);
  }

  #maybeDestroy(): void {
    if (this.#state !== CLOSING || this.#unsettled > 0) return;
    this.#state = CLOSED;
    this.#trackThreads();
    this.piscina.destroy().then(() => this.#allExited()).then(
      () => this.#markClosed(),
      (err: unknown) => {
        this.#failure ??= { error: err };
        this.#markClosed();
      },
    );
  }
}

/**
 * Opens a pool of worker threads (piscina) owned by a nursery and returns it. `worker` is the
 * worker module: a `file:` URL or an absolute path to JavaScript whose exports are made with
 * `defineJob()` from `@nursery/workers/worker`.
 *
 * The pool joins the owner's nursery (the owner itself, or a task's nursery) as a task named
 * `pool <file>`, so that nursery cannot finish while the pool has threads. Close it with
 * `await using` or `close()` when its work is done; when the nursery is cancelled it is closed for
 * you, after its jobs (which are newer) were stopped newest-first.
 *
 * Throws `TypeError` for bad arguments and `NurseryClosedError` into a finished nursery.
 *
 * @example
 * ```ts
 * await nursery(task, async (n) => {
 *   await using pool = openPool<string, string>(n, new URL("./hash-file.mjs", import.meta.url));
 *   const digests = files.map((file) => pool.run(n, file, { name: `hash ${file}` }));
 *   for (const digest of digests) console.log(await digest);
 * });
 * ```
 */
export function openPool<I = unknown, O = unknown>(owner: Nursery | TaskContext, worker: string | URL, options?: PoolOptions): WorkerPool<I, O> {
  const { nursery } = checkOwner("owner", owner);
  const file = checkWorkerFile(worker);
  return new Pool(nursery, file, checkOptionsRecord("options", options)) as unknown as WorkerPool<I, O>;
}
