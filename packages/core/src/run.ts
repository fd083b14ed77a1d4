// run(): the process entry. The only module that touches process signals and process.exit.
//
// Goal. Ctrl+C or SIGTERM cancels every task, lets every cleanup run newest-first, and exits with
// the code a shell expects (128+signo: 130, 143, 129). A hung cleanup or a second Ctrl+C must never
// leave the user stuck, and cancellations are never printed as errors.
//
// Invariants.
// - Nothing is installed at import time. Every listener run() adds goes through listen(), which
//   returns its remover; finish() calls every remover, so listener counts return to baseline.
// - While run() is active a ref'd keep-alive interval holds the event loop open: a pending promise
//   alone does not, and Node would exit mid-work with code 13.
// - The first signal wins; later ones either force (default) or are ignored.
//
// The second signal, and why it is subtle. A JavaScript signal listener runs only when the event
// loop turns. If cleanup blocks the loop (a synchronous `while`), a listener never runs and the
// process cannot be stopped short of SIGKILL. Removing our listeners restores the OS default
// disposition, so the next signal kills the process at once, even while blocked, but then no
// JavaScript runs to say what was still running. Designs that do not work: a Worker cannot receive
// process signals (Node delivers them to the main thread only); re-raising from a Worker hits the
// same blocked listener.
// Chosen mechanism. After the first signal we keep our listeners, so that when the loop is
// responsive the second signal prints the task tree and exits 128+signo. We also start a watchdog
// Worker that watches a heartbeat the main thread writes to shared memory. When the heartbeat stops
// for WATCHDOG_MS, the loop is blocked: the watchdog asks the main thread's inspector to evaluate a
// hook, which V8 runs as an interrupt *inside* the blocked loop. The hook prints the task tree and
// removes our signal listeners, restoring the default disposition, so the next signal terminates
// the process with that signal (read by shells as 128+signo). Where Workers or the inspector are
// unavailable (Bun, Deno: see canInterruptBlockedLoop), the listeners are removed at the first
// signal instead (forced exit still works; the tree is then printed when shutdown starts).
// Known limits. A signal that arrives while the loop is blocked and before the watchdog fires is
// queued by libuv and acted on only when the loop turns. On Windows only SIGINT and SIGBREAK exist
// (there is no SIGTERM) and the exit codes are plain numbers.
// Neighbours. run() adds its listeners next to any the program already has (Node calls them all)
// and removes only its own. In a worker thread it listens to no signal (they reach the main thread
// only) and process.exit ends that worker with the code.
import { constants } from "node:os";
import { inspect } from "node:util";
import { Worker, isMainThread } from "node:worker_threads";
import { CancelledError, NurseryError, ShutdownTimeoutError, isCancellation } from "./errors.js";
import { closeLocator, locate } from "./internal/locate.js";
import { checkBoolean, checkChoice, checkDuration, checkFunction, checkOptions, invalid } from "./internal/validate.js";
import { NurseryImpl } from "./nursery.js";
import type { TaskContext } from "./task.js";
import { render } from "./tree.js";

/** Options of {@link run}. */
export interface RunOptions {
  /**
   * Signals that start a graceful shutdown (not `SIGKILL`/`SIGSTOP`, which cannot be listened to).
   * Default `["SIGINT", "SIGTERM", "SIGHUP"]` (Windows: `["SIGINT", "SIGBREAK"]`). In a worker
   * thread the default is `[]` and only `[]` is accepted: Node delivers signals to the main thread.
   */
  signals?: readonly NodeJS.Signals[];
  /** Ms cleanup may take after the first signal; then the stragglers are listed and the process exits 1. Default 10 000. */
  shutdownTimeout?: number;
  /** `"force"` (default): a second signal exits at once with 128+signo. `"ignore"`: it is ignored. */
  onSecondSignal?: "force" | "ignore";
  /** Default true. `false`: resolve with the exit code instead of exiting (embedding, tests). */
  exit?: boolean;
  /** Default true: an unhandled rejection or uncaught exception starts a graceful shutdown and exits 1. */
  catchUncaught?: boolean;
  /** Name of the root nursery. Default `"main"`. */
  name?: string;
}

// Long enough that a GC pause or a loaded machine is not mistaken for a blocked loop.
const WATCHDOG_MS = 1000;
const HOOK = "@nursery/core.run.blocked";

type Remove = () => void;

function listen(event: string, listener: (arg: unknown) => void): Remove {
  process.on(event, listener);
  return () => process.removeListener(event, listener);
}

/** 128 + the signal's number: the exit code a shell reports for a process killed by it. */
function signalExitCode(sig: string): number {
  return 128 + ((constants.signals as Record<string, number | undefined>)[sig] ?? 2);
}

// Bun and Deno have Workers but no inspector session that reaches the main thread (Deno throws
// "connectToMainThread not supported"): the watchdog would see the blocked loop and then fail in
// the Worker, whose error event the blocked main thread never handles, so the second signal would
// be lost. There the fallback applies from the first signal. Covered by conformance/tests/run.test.mjs.
function canInterruptBlockedLoop(): boolean {
  return process.versions.bun === undefined && process.versions.deno === undefined;
}

function write(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Leaves of a tree of NurseryErrors, each once, in order. */
function leaves(err: unknown, out: unknown[] = []): unknown[] {
  if (err instanceof NurseryError) for (const e of err.errors) leaves(e, out);
  else if (!out.includes(err)) out.push(err);
  return out;
}

function exitCodeOf(errors: readonly unknown[]): number {
  for (const e of errors) {
    const code = (e as { exitCode?: number } | null)?.exitCode as number;
    if (Number.isInteger(code) && code > 0 && code < 256) return code;
  }
  return 1;
}

function printErrors(errors: readonly unknown[]): void {
  if (errors.length > 1) write(`${errors.length} errors:`);
  for (const e of errors) write(inspect(e, { depth: 6 }));
}

// The watchdog Worker's source, run with `eval: true`, so no minifier reaches it and it is written
// short. workerData is the heartbeat. Every WATCHDOG_MS/4 it reads the heartbeat; once it has not
// moved for WATCHDOG_MS, the main thread's loop is blocked: the watchdog stops, connects an
// inspector session to the main thread (only now: a connected session would make Node wait for it
// at exit), and calls the HOOK there. Any message from the main thread stops it.
const WATCHDOG_SOURCE = `const{workerData:beat,parentPort}=require("node:worker_threads");
let last=Atomics.load(beat,0),since=Date.now(),timer=setInterval(()=>{
const now=Atomics.load(beat,0);
if(now!==last){last=now;since=Date.now()}else if(Date.now()-since>=${WATCHDOG_MS}){
clearInterval(timer);
const session=new(require("node:inspector").Session);
session.connectToMainThread();
session.post("Runtime.evaluate",{expression:'globalThis[Symbol.for("${HOOK}")]?.()'},()=>session.disconnect())}
},${WATCHDOG_MS / 4});
parentPort.on("message",()=>{clearInterval(timer);process.exit(0)})`;

/**
 * Runs `main` as the root task of the process and owns the process's signals and exit code.
 *
 * - Success: when `main` and everything it spawned finished, the process exits 0 once the event
 *   loop drains.
 * - Error: the error is printed once (each member of a `NurseryError` once) and the process exits
 *   1, or with the error's `exitCode`.
 * - First SIGINT/SIGTERM/SIGHUP: prints one line, cancels the root with a `CancelledError` (source
 *   `"signal"`), runs every cleanup newest-first, exits 128+signo. A second signal exits at once and
 *   prints what was still running; past `shutdownTimeout` the stragglers are listed and it exits 1.
 *
 * Call it once, at the top of the program; nothing is installed until it is called, and every
 * listener is removed when it finishes.
 *
 * @example
 * ```ts
 * await run(async (task) => {
 *   await nursery(async (n) => {
 *     n.spawn((t) => serve(t.signal));
 *   }, { signal: task.signal });
 * });
 * ```
 */
export function run<T>(main: (task: TaskContext) => T | PromiseLike<T>, options: RunOptions & { exit: false }): Promise<number>;
export function run<T>(main: (task: TaskContext) => T | PromiseLike<T>, options?: RunOptions): Promise<void>;
export function run<T>(main: (task: TaskContext) => T | PromiseLike<T>, options?: RunOptions): Promise<number | void> {
  checkFunction("main", main);
  checkOptions("options", options);
  const windows = process.platform === "win32";
  const signals: readonly NodeJS.Signals[] =
    options?.signals ?? (!isMainThread ? [] : windows ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM", "SIGHUP"]);
  // SIGKILL and SIGSTOP cannot have listeners: process.on() would throw half-way through set-up.
  if (!Array.isArray(signals) || signals.some((s) => typeof s !== "string" || !(s in constants.signals) || s === "SIGKILL" || s === "SIGSTOP")) {
    throw invalid("signals", "an array of signal names other than SIGKILL and SIGSTOP", signals);
  }
  // A worker's process.on("SIGINT") never fires: asking for signals there is a mistake to report.
  if (!isMainThread && signals.length > 0) throw invalid("signals", "[] in a worker thread (signals reach the main thread only)", signals);
  const shutdownTimeout = checkDuration("shutdownTimeout", options?.shutdownTimeout ?? 10_000);
  const second = checkChoice("onSecondSignal", options?.onSecondSignal ?? "force", "force", "ignore");
  const exit = checkBoolean("exit", options?.exit ?? true);
  const catchUncaught = checkBoolean("catchUncaught", options?.catchUncaught ?? true);

  const outside = new AbortController();
  const root = new NurseryImpl({ name: options?.name ?? "main", signal: outside.signal });
  const removers: Remove[] = [];
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  let received: NodeJS.Signals | undefined;
  let uncaught: unknown[] | undefined;
  let shutdownTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let watchdog: Worker | undefined;
  let finished = false;
  let resolveRun: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveRun = resolve));

  const tree = (): string => render(root, locate).lines.join("\n");

  const restoreDefaults = (): void => {
    for (const remove of removers.splice(0)) remove();
  };

  const finish = (code: number, force: boolean): void => {
    if (finished) return;
    finished = true;
    // On success with exit: true the signal listeners stay until the process exits: a signal that
    // libuv already took in cannot be re-delivered once its listener is gone, so removing them here
    // could lose a Ctrl+C pressed just as main finished. Signal listeners do not keep the loop alive.
    if (!exit || force || code !== 0) restoreDefaults();
    // Clearing an unset timer (undefined) is a no-op.
    clearInterval(keepAlive);
    clearTimeout(shutdownTimer);
    clearInterval(heartbeat);
    watchdog?.postMessage("stop");
    watchdog?.unref();
    delete (globalThis as Record<symbol, unknown>)[Symbol.for(HOOK)];
    closeLocator();
    if (exit) {
      if (force || code !== 0) process.exit(code);
      // Success: let the event loop drain, as a program without run() would.
      process.exitCode = 0;
    }
    resolveRun(code);
  };

  const startWatchdog = (): void => {
    if (!canInterruptBlockedLoop()) {
      write(`still running:\n${tree()}`);
      restoreDefaults();
      return;
    }
    try {
      const beat = new Int32Array(new SharedArrayBuffer(4));
      (globalThis as Record<symbol, unknown>)[Symbol.for(HOOK)] = () => {
        if (finished) return;
        // Restore first: once the line below is visible, the next signal must already kill.
        restoreDefaults();
        write(`event loop blocked during shutdown; still running:\n${tree()}\nthe next signal exits at once`);
      };
      heartbeat = setInterval(() => Atomics.add(beat, 0, 1), WATCHDOG_MS / 6);
      heartbeat.unref();
      watchdog = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: beat });
      watchdog.unref();
      watchdog.on("error", () => restoreDefaults());
    } catch {
      write(`still running:\n${tree()}`);
      restoreDefaults();
    }
  };

  const onSignal = (sig: NodeJS.Signals): void => {
    if (finished) {
      // Main finished and the loop is draining: the signal still decides the exit code.
      process.exit(signalExitCode(sig));
    }
    if (received === undefined) {
      received = sig;
      const again = sig === "SIGINT" ? "press Ctrl+C again to force" : `send ${sig} again to force`;
      write(`received ${sig}, shutting down${second === "force" ? ` (${again})` : ""}`);
      if (second === "force") startWatchdog();
      shutdownTimer = setTimeout(onShutdownTimeout, Math.min(shutdownTimeout, 2 ** 31 - 1));
      outside.abort(new CancelledError({ source: "signal", detail: sig, nursery: root.name }));
      return;
    }
    if (second === "ignore") return;
    write(`received ${sig} again, exiting now; still running:\n${tree()}`);
    finish(signalExitCode(sig), true);
  };

  const onShutdownTimeout = (): void => {
    // The same rendering as the second signal's report; `error.stragglers` has the flat list.
    const { lines, tasks } = render(root, locate);
    write(`${new ShutdownTimeoutError(shutdownTimeout, tasks).message}:\n${lines.join("\n")}`);
    finish(1, true);
  };

  const onUncaught = (err: unknown): void => {
    if (finished) {
      printErrors([err]);
      process.exit(1);
    }
    write(`uncaught ${isCancellation(err) ? "cancellation" : "error"}, shutting down:`);
    printErrors([err]);
    (uncaught ??= []).push(err);
    outside.abort(new CancelledError({ source: "sibling-failed", detail: err, nursery: root.name, task: "(uncaught)" }));
  };

  for (const sig of signals as readonly NodeJS.Signals[]) {
    const listener = (): void => onSignal(sig);
    removers.push(listen(sig, listener));
  }
  if (catchUncaught) {
    removers.push(listen("unhandledRejection", onUncaught));
    removers.push(listen("uncaughtException", onUncaught));
  }

  root.spawn(main, { name: "main" });
  // `real`: the errors to print, none when main and its tasks succeeded or were cancelled.
  const end = (real: unknown[], rejected: boolean): void => {
    printErrors(real);
    const errors = real.length > 0 ? real : uncaught;
    if (errors !== undefined) finish(exitCodeOf(errors), true);
    else if (received !== undefined || rejected) finish(signalExitCode(received ?? "SIGINT"), true);
    else finish(0, false);
  };
  root[Symbol.asyncDispose]().then(
    () => end([], false),
    (err: unknown) => end(isCancellation(err) ? [] : leaves(err), true),
  );
  return done;
}
