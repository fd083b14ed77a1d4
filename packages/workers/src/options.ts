// The public option types of openPool() and WorkerPool.run().
import type { TransferListItem } from "node:worker_threads";
import type { Clock } from "@nursery/core";

/** Options of {@link openPool}. */
export interface PoolOptions {
  /** The pool's task name in task trees and shutdown reports. Default `"pool <file name>"`. */
  name?: string;
  /** Most threads at once. Default piscina's: 1.5 x the available cores. */
  maxThreads?: number;
  /** Threads kept even when idle. Default piscina's: half the available cores, at least 1. */
  minThreads?: number;
  /** Ms an idle thread above `minThreads` lives. Default 0 (piscina's). */
  idleTimeout?: number;
  /**
   * Ms a running job gets, once its task is cancelled, to end on its own (its `signal` aborted,
   * `checkpoint()` throwing) before its thread is terminated. Default 5000; `Infinity` never
   * terminates; `0` terminates at once.
   */
  grace?: number;
  /** Clock for `grace`. Default: the clock of the job's task (a `VirtualClock` in tests reaches it). */
  clock?: Clock;
  /** V8 heap limits of each thread, as `new Worker()` takes them. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; codeRangeSizeMb?: number; stackSizeMb?: number };
  /**
   * Node options of each thread, as `new Worker()` takes them. Flags a thread refuses are a
   * `TypeError` naming `execArgv` at `openPool()` (with `minThreads: 0`, checked by starting and
   * ending one thread there, since no thread would start before the first job).
   */
  execArgv?: string[];
}

/** Options of {@link WorkerPool.run}. */
export interface RunJobOptions {
  /** The job's task name. Default `"job <file name>"` (with `#<export>` for a named export). */
  name?: string;
  /** The worker module's export to run. Default `"default"`. */
  export?: string;
  /** Objects to move to the thread rather than copy (ArrayBuffers, MessagePorts), as `postMessage` takes them. */
  transfer?: readonly TransferListItem[];
  /** Overrides the pool's `grace` for this job. */
  grace?: number;
}
