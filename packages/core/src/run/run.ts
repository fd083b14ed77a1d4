// run(): the process entry. The only code (with its folder) that touches process signals and
// process.exit. This file checks the options and claims the process; shutdown.ts holds one run's
// state and transitions, watchdog*.ts the blocked-loop watchdog, output.ts
// what is printed, exit.ts the exit codes and the exit itself.
//
// Goal. Ctrl+C or SIGTERM cancels every task, lets every cleanup run newest-first, and exits with
// the code a shell expects (128+signo: 130, 143, 129). A hung cleanup or a second Ctrl+C must never
// leave the user stuck, every error is printed exactly once, cancellations never, and nothing the
// program started outside the process (child process groups) outlives it.
//
// Invariants.
// - One run() per process at a time: a nested or second one is refused before it installs
//   anything (it would call process.exit under the first one's cleanup). After an `exit: false`
//   run finished, a new one may start; after a successful `exit: true` one, a new one takes over
//   the late-signal listeners the first left.
// - Nothing is installed at import time. Every listener goes through listen(), which returns its
//   remover; finishing calls every remover, so listener counts return to baseline.
// - While run() is active a ref'd keep-alive interval holds the event loop open: a pending promise
//   alone does not, and Node would exit mid-work with code 13.
// - A shutdown starts once, by the first signal or by the first failure (main rejects, an uncaught
//   error): from then on the same `shutdownTimeout` deadline and the same forcing by the next signal
//   apply, whatever started it. The starting error is printed when the shutdown starts, so whatever
//   ends it (the root settling, a forced signal, the deadline) it has been printed, and only once.
// - Every exit run() makes goes through exitNow(): the exit hooks (exit-hooks.ts: adapters kill their
//   child process groups there) run first, then process.exit.
// - Writes are best effort (output.ts): a closed stderr or stdout never loops and never changes
//   the exit code run() would have had, except that the program's own failed stdout is a failure.
//
// The second signal, and why it is subtle. A JavaScript signal listener runs only when the event
// loop turns. If cleanup blocks the loop (a synchronous `while`), a listener never runs. Removing
// our listeners restores the OS default disposition, so the next signal kills the process at once,
// even while blocked, but then no JavaScript runs. Designs that do not work: a Worker cannot
// receive process signals (Node delivers them to the main thread only, and a Worker's
// process.on("SIGINT") is inert); re-raising from a Worker hits the same blocked listener; removing
// the listeners at the first signal loses the task tree and the exit hooks for every responsive
// second signal, which is the common case.
// Chosen mechanism. After the first signal our listeners stay, so that when the loop is responsive
// the second signal prints the task tree, runs the exit hooks and exits 128+signo. A watchdog
// Worker (watchdog-body.ts; run from its own module file, or from its source text in a program
// bundled into one file: watchdog.ts) watches a heartbeat the main thread bumps every
// 10 ms in shared memory; the root is cancelled only once the Worker watches (~30-60 ms after the
// first signal, at most 250 ms), so a cleanup that blocks at once is watched from its start. When
// the heartbeat has not moved for 40 ms, the Worker asks the main thread's inspector to evaluate a
// hook, which V8 runs as an interrupt *inside* the blocked loop: the hook removes our signal
// listeners, so the next signal terminates the process by the OS default (a shell reads 128+signo).
// When beats come back (a slow turn, not a block) the listeners are re-installed. After 1000 ms of
// block the hook also prints the task tree and "the next signal exits at once". Where Workers or
// the inspector cannot reach the main thread (Bun, Deno: see watchdog.ts), the listeners are
// removed at the first signal instead; on Node that happens only when no Worker could start (the
// permission model without --allow-worker), and run() then prints one line saying why.
// Measured (bench/blocked-signal.mjs; Node 20, 2 cores at load average ~12; second SIGINT N ms into
// a synchronous block, "forced" = gone within 2 s; 5 runs each, main's build 3 runs):
//   N ms      20   30   40   50   60   80  100  200  500 1000
//   before   0/3  0/3  0/3  0/3  0/3  0/3  0/3  0/3  0/3  0/3   (1000 ms watchdog: all lost)
//   now      0/5  2/5  1/5  5/5  5/5  4/5  4/5  5/5  5/5  5/5
// Known limits. A signal that arrives after the block started but before the stall hook ran (40 ms
// plus the Worker's polling, more when the machine is loaded and the Worker thread waits for a core:
// the misses at 80 and 100 ms above) is caught by libuv, queued for a loop turn that does not come,
// and dropped when the listener is removed: the user needs one more press. Nothing can see it
// sooner: only the blocked thread could read libuv's queue, and a shorter stall threshold would
// take GC pauses for blocks. A process killed by the default disposition runs no JavaScript: the
// exit hooks do not run, so child process groups started by @nursery/process survive a forced exit
// *from a blocked loop* (the task tree printed at 1000 ms lists them). On Windows only SIGINT and
// SIGBREAK exist and exit codes are plain numbers.
// Neighbours. run() adds its listeners next to any the program already has (Node calls them all)
// and removes only its own. In a worker thread it listens to no signal (they reach the main thread
// only) and process.exit ends that worker with the code.
import { isMainThread } from "node:worker_threads";
import { checkBoolean, checkChoice, checkDuration, checkFunction, checkOptions, checkString, invalid } from "../internal/validate.js";
import type { NotOwnContext, TaskContext } from "../task.js";
import { claimProcess, isSignalOtherThan } from "./exit.js";
import { Shutdown } from "./shutdown.js";
import { checkTreeSignal } from "./tree-request.js";

/** Options of {@link run}. */
export interface RunOptions {
  /**
   * Signals that start a graceful shutdown (not `SIGKILL`/`SIGSTOP`, which cannot be listened to).
   * Default `["SIGINT", "SIGTERM", "SIGHUP"]` (Windows: `["SIGINT", "SIGBREAK"]`). In a worker
   * thread the default is `[]` and only `[]` is accepted: Node delivers signals to the main thread.
   */
  signals?: readonly NodeJS.Signals[];
  /**
   * Ms the shutdown may take once started (by a signal or by a failure); then the stragglers are
   * listed and the process exits 1. Default 10 000.
   */
  shutdownTimeout?: number;
  /** `"force"` (default): a signal during a shutdown exits at once. `"ignore"`: it is ignored. */
  onSecondSignal?: "force" | "ignore";
  /** Default true. `false`: resolve with the exit code instead of exiting (embedding, tests). */
  exit?: boolean;
  /** Default true: an unhandled rejection or uncaught exception starts a graceful shutdown and exits 1. */
  catchUncaught?: boolean;
  /** Name of the root nursery. Default `"main"`. */
  name?: string;
  /**
   * Opt-in: this signal (e.g. `"SIGUSR2"`) prints the live task tree to stderr and to a file that
   * `nursery-ps <pid>` reads; the program goes on running. Not a shutdown signal, nor SIGUSR1
   * (Node's inspector), and refused in a worker thread (signals reach the main thread only).
   * Default: none.
   */
  treeSignal?: NodeJS.Signals;
}

/**
 * Runs `main` as the root task of the process and owns the process's signals and exit code.
 *
 * - Success: when `main` and everything it spawned finished, the process exits 0 once the event
 *   loop drains.
 * - Error: the error is printed once (each member of a `NurseryError` once) when main rejects, the
 *   rest of the tree is cancelled within `shutdownTimeout`, and the process exits 1, or with the
 *   error's `exitCode`.
 * - First SIGINT/SIGTERM/SIGHUP: prints one line, cancels the root with a `CancelledError` (source
 *   `"signal"`), runs every cleanup newest-first, exits 128+signo. A signal during a shutdown exits
 *   at once and prints what was still running; past `shutdownTimeout` the stragglers are listed
 *   and it exits 1. Exit hooks (`onProcessExit` from `@nursery/core/adapter`) run before every exit run() makes.
 *
 * Call it once, at the top of the program: a second `run()` while one is active (nested in main,
 * or beside it) throws. Nothing is installed until it is called, and every listener is removed
 * when it finishes.
 *
 * @example
 * ```ts
 * await run(async (task) => {
 *   await nursery(task, async (n) => {
 *     n.spawn((t) => serve(t));
 *   });
 * });
 * ```
 */
export function run<T>(main: ((task: TaskContext) => T | PromiseLike<T>) & NotOwnContext<T>, options: RunOptions & { exit: false }): Promise<number>;
export function run<T>(main: ((task: TaskContext) => T | PromiseLike<T>) & NotOwnContext<T>, options?: RunOptions): Promise<void>;
export function run<T>(main: (task: TaskContext) => T | PromiseLike<T>, options?: RunOptions): Promise<number | void> {
  checkFunction("main", main);
  checkOptions("options", options);
  const windows = process.platform === "win32";
  const signals: readonly NodeJS.Signals[] =
    options?.signals ?? (!isMainThread ? [] : windows ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM", "SIGHUP"]);
  // SIGKILL and SIGSTOP cannot have listeners: process.on() would throw half-way through set-up.
  if (!Array.isArray(signals) || !signals.every((s) => isSignalOtherThan(s, ["SIGKILL", "SIGSTOP"]))) {
    throw invalid("signals", "an array of signal names other than SIGKILL and SIGSTOP", signals);
  }
  // A worker's process.on("SIGINT") never fires: asking for signals there is a mistake to report.
  if (!isMainThread && signals.length > 0) throw invalid("signals", "[] in a worker thread (signals reach the main thread only)", signals);
  const name = options?.name ?? "main";
  checkString("name", name);
  // Nor does a tree signal: the tree file is named after the process, whose main thread would be
  // signalled (and, without a listener there, killed) by nursery-ps.
  if (!isMainThread && options?.treeSignal !== undefined) {
    throw invalid("treeSignal", "undefined in a worker thread (signals reach the main thread only)", options.treeSignal);
  }
  const treeSignal = checkTreeSignal(options?.treeSignal, signals);
  const shutdown = new Shutdown({
    name,
    signals,
    shutdownTimeout: checkDuration("shutdownTimeout", options?.shutdownTimeout ?? 10_000),
    onSecondSignal: checkChoice("onSecondSignal", options?.onSecondSignal ?? "force", "force", "ignore"),
    exit: checkBoolean("exit", options?.exit ?? true),
    catchUncaught: checkBoolean("catchUncaught", options?.catchUncaught ?? true),
    treeSignal,
  });
  // Before anything is installed: a refused run() leaves the process as it was.
  claimProcess(shutdown);
  shutdown.start(main);
  return shutdown.done;
}
