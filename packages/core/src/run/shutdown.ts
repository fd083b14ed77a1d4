// One run()'s state: what started the shutdown, the deadline, the watchdog, the listeners, and the
// exit. Every transition is a method; the why is in run.ts's header.
import { CancelledError, ShutdownTimeoutError, isCancellation } from "../errors.js";
import { closeLocator, locate } from "../internal/locate.js";
import { openNursery, type Nursery } from "../nursery.js";
import type { TaskContext } from "../task.js";
import { dumpTree, render } from "../tree.js";
import { answerTreeRequests } from "./tree-request.js";
import { exitCodeOf, exitNow, listen, signalExitCode, unclaimProcess, type Claim, type Remove } from "./exit.js";
import { Output, leaves } from "./output.js";
import { Watchdog } from "./watchdog.js";

/** The line run() prints when no watchdog Worker watches (`reason`: its error; `watched`: it had). */
function watchdogNotice(reason: unknown, watched = false): string {
  let why = String(reason);
  if (reason instanceof Error) {
    const code = (reason as NodeJS.ErrnoException).code;
    why = `${reason.name}${typeof code === "string" ? ` [${code}]` : ""}: ${reason.message}`;
  }
  return (
    `the blocked-loop watchdog ${watched ? "stopped" : "could not start"} (${why.split("\n")[0]}); ` +
    `a second signal now ends the process at once, ` +
    `without the task tree or the exit hooks (see "Bundling a CLI" in @nursery/core's docs/guide/shutdown-and-signals.md)`
  );
}

// The longest the root's cancellation waits for the watchdog Worker to start (it takes ~30-60 ms).
const WATCHDOG_READY_MS = 250;

export interface ShutdownConfig {
  readonly name: string;
  readonly signals: readonly NodeJS.Signals[];
  readonly shutdownTimeout: number;
  readonly onSecondSignal: "force" | "ignore";
  readonly exit: boolean;
  readonly catchUncaught: boolean;
  /** Opt-in: this signal prints the live task tree (tree-request.ts), and the program goes on. */
  readonly treeSignal: NodeJS.Signals | undefined;
}

/** What started the shutdown: a signal, or `"failure"` (main's error, an uncaught one). */
type Trigger = NodeJS.Signals | "failure";

export class Shutdown implements Claim {
  active = true;
  readonly done: Promise<number>;
  readonly #config: ShutdownConfig;
  readonly #outside = new AbortController();
  readonly #root: Nursery & AsyncDisposable;
  readonly #output = new Output();
  #resolve!: (code: number) => void;
  /** Listeners on signals: removed while the loop is blocked (the OS default then kills). */
  #signalListeners: Remove[] = [];
  /** Every other listener run() added (uncaught errors, stream errors). */
  #otherListeners: Remove[] = [];
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #trigger: Trigger | undefined;
  /** Errors that failed the program outside the root's outcome (uncaught, stdout broken). */
  readonly #failures: unknown[] = [];
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #watchdog: Watchdog | undefined;
  /** The root's cancellation while it waits for the watchdog to watch (see #begin). */
  #pendingAbort: (() => void) | undefined;
  #finished = false;
  /** Stops answering tree requests and deletes the tree file (see tree-request.ts). */
  #stopTreeRequests: Remove | undefined;

  constructor(config: ShutdownConfig) {
    this.#config = config;
    this.#root = openNursery({ name: config.name, signal: this.#outside.signal });
    this.done = new Promise<number>((resolve) => (this.#resolve = resolve));
  }

  /** Installs the listeners, runs `main` as the root's only task, and ends when the root settles. */
  start<T>(main: (task: TaskContext) => T | PromiseLike<T>): void {
    // A pending promise alone does not keep Node's loop alive: without this it would exit mid-work.
    this.#keepAlive = setInterval(() => undefined, 2 ** 30);
    this.#installSignals();
    const treeSignal = this.#config.treeSignal;
    if (treeSignal !== undefined) this.#stopTreeRequests = answerTreeRequests(this.#root, treeSignal);
    if (this.#config.catchUncaught) {
      this.#otherListeners.push(
        listen("uncaughtException", (err: unknown) => this.#onUncaught(err)),
        ...this.#output.watchRejections((reason) => this.#onUncaught(reason)),
      );
    }
    this.#otherListeners.push(...this.#output.watchStreams((err) => this.#onUncaught(err, "writing to stdout failed")));
    const task = this.#root.spawn(main, { name: "main" });
    // Main's own failure starts the shutdown now (deadline, forcing), not when the root settles.
    task.then(undefined, (err: unknown) => {
      if (!isCancellation(err)) this.#onFailure(leaves(err));
    });
    this.#root[Symbol.asyncDispose]().then(
      () => this.#end([], false),
      (err: unknown) => this.#end(isCancellation(err) ? [] : leaves(err), true),
    );
  }

  /** Claim: what a finished run() left installed (its late-signal listeners) goes. */
  release(): void {
    this.#removeAll();
  }

  // ===== Triggers =====

  #onSignal(sig: NodeJS.Signals): void {
    if (this.#finished) {
      // Main finished and the loop is draining: the signal still decides the exit code.
      this.#exit(signalExitCode(sig));
    }
    const trigger = this.#trigger;
    if (trigger === undefined) {
      const force = this.#config.onSecondSignal === "force";
      const again = sig === "SIGINT" ? "press Ctrl+C again to force" : `send ${sig} again to force`;
      this.#output.line(`received ${sig}, shutting down${force ? ` (${again})` : ""}`);
      this.#begin(sig, new CancelledError({ source: "signal", detail: sig, nursery: this.#root.name }));
      return;
    }
    if (this.#config.onSecondSignal === "ignore") return;
    // Cancelled before the report, so the tree shows what the exit cuts short as cancelling.
    this.#flushAbort();
    const context =
      trigger === sig ? `${sig} again` : `${sig} (shutdown was already started by ${trigger === "failure" ? "an error" : trigger})`;
    this.#output.line(`received ${context}, exiting now; still running:\n${this.#tree()}`);
    // A failure decides the code even when a signal cut its cleanup short: the program failed.
    this.#finish(trigger === "failure" ? exitCodeOf(this.#failures) : signalExitCode(sig), true);
  }

  /** An error outside the tree (`what` says where, default "uncaught error"): a failure. */
  #onUncaught(err: unknown, what?: string): void {
    if (this.#finished) {
      this.#output.errors([err]);
      this.#exit(1);
    }
    if (!this.#output.printed(err)) {
      this.#output.line(`${what ?? `uncaught ${isCancellation(err) ? "cancellation" : "error"}`}, shutting down:`);
      this.#output.errors([err]);
    }
    this.#failures.push(err);
    this.#begin("failure", new CancelledError({ source: "sibling-failed", detail: err, nursery: this.#root.name, task: "(uncaught)" }));
  }

  /** Main rejected with real errors: print them now, whatever ends the shutdown later. */
  #onFailure(errors: unknown[]): void {
    this.#output.errors(errors, true);
    this.#failures.push(...errors);
    // The root cancels its other children itself (main's siblings); run() adds the deadline.
    this.#begin("failure", undefined);
  }

  /**
   * Starts the shutdown once: the deadline, the watchdog, and the root's cancellation. With the
   * watchdog, the root is cancelled once the Worker watches (a few tens of ms; at most
   * WATCHDOG_READY_MS): a cleanup that blocks the loop at once is then seen 40 ms in, not only
   * after the Worker's start-up, which the loop blocked at once would also have to wait for.
   */
  #begin(trigger: Trigger, reason: CancelledError | undefined): void {
    if (this.#finished) return;
    const abort = (): void => {
      if (reason !== undefined && !this.#finished) this.#outside.abort(reason);
    };
    if (this.#trigger !== undefined) {
      // Already shutting down; a cancellation still waiting for the watchdog goes first.
      if (this.#pendingAbort === undefined) abort();
      return;
    }
    this.#trigger = trigger;
    this.#deadline = setTimeout(() => this.#onDeadline(), Math.min(this.#config.shutdownTimeout, 2 ** 31 - 1));
    // The watchdog serves only the forcing signal: without one (a worker thread, `signals: []`) it
    // would watch for nothing.
    if (this.#config.onSecondSignal !== "force" || this.#config.signals.length === 0) return abort();
    const waiting = setTimeout(() => this.#flushAbort(), WATCHDOG_READY_MS);
    this.#pendingAbort = () => {
      clearTimeout(waiting);
      abort();
    };
    this.#startWatchdog(() => this.#flushAbort());
  }

  /** The root's cancellation, if it still waits for the watchdog: now. */
  #flushAbort(): void {
    const pending = this.#pendingAbort;
    this.#pendingAbort = undefined;
    pending?.();
  }

  #onDeadline(): void {
    this.#flushAbort();
    // The same rendering as the forced exit's; `error.stragglers` has the flat list.
    const { lines, tasks } = render(this.#root, locate, true);
    this.#output.line(`${new ShutdownTimeoutError(this.#config.shutdownTimeout, tasks).message}:\n${lines.join("\n")}`);
    this.#finish(1, true);
  }

  // ===== The blocked loop =====

  /** Starts the watchdog; `ready` is called once it watches, or at once when it cannot. */
  #startWatchdog(ready: () => void): void {
    const fallback = (reason?: unknown, watched?: boolean): void => {
      // No watchdog here: the default disposition now, so a second signal still ends the process;
      // removed before anything is printed, so that a signal sent on seeing the lines finds it.
      this.#removeSignals();
      // A Worker that failed on Node is a fault to name, not a silent change of behaviour.
      if (reason !== undefined && !this.#finished) this.#output.line(watchdogNotice(reason, watched));
      this.#output.line(`still running:\n${this.#tree()}`);
      ready();
    };
    const watchdog = new Watchdog({
      onReady: ready,
      onStall: () => {
        if (!this.#finished) this.#removeSignals();
      },
      onReport: () => {
        if (!this.#finished) this.#output.line(`event loop blocked during shutdown; still running:\n${this.#tree()}\nthe next signal exits at once`);
      },
      onResume: () => {
        if (!this.#finished) this.#installSignals();
      },
    });
    this.#watchdog = watchdog;
    watchdog.start(fallback);
  }

  // ===== The end =====

  /** The root settled: `real` are its errors (none when it succeeded or was cancelled). */
  #end(real: unknown[], rejected: boolean): void {
    this.#output.errors(real);
    const errors = real.length > 0 ? real : this.#failures;
    const signal = this.#trigger === "failure" ? undefined : this.#trigger;
    if (errors.length > 0) this.#finish(exitCodeOf(errors), true);
    else if (signal !== undefined || rejected) this.#finish(signalExitCode(signal ?? "SIGINT"), true);
    else this.#finish(0, false);
  }

  #finish(code: number, force: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    // Unconditional, so the tree file is deleted on every exit, a successful one included.
    this.#stopTreeRequests?.();
    this.#stopTreeRequests = undefined;
    const { exit } = this.#config;
    // On success with exit: true the signal listeners stay until the process exits: a signal that
    // libuv already took in cannot be re-delivered once its listener is gone, so removing them here
    // could lose a Ctrl+C pressed just as main finished. Signal listeners do not keep the loop alive.
    if (!exit || force || code !== 0) this.#removeAll();
    clearInterval(this.#keepAlive);
    clearTimeout(this.#deadline);
    this.#watchdog?.stop();
    if (exit && (force || code !== 0)) this.#exit(code);
    closeLocator();
    this.active = false;
    if (!exit) {
      this.#watchdog?.release();
      unclaimProcess(this);
    }
    // Success: let the event loop drain, as a program without run() would.
    if (exit) process.exitCode = 0;
    this.#resolve(code);
  }

  #exit(code: number): never {
    return exitNow(code, (errors) => {
      this.#output.line("exit hooks failed:");
      this.#output.errors(errors);
    });
  }

  // ===== Listeners =====

  #installSignals(): void {
    if (this.#signalListeners.length > 0) return;
    this.#signalListeners = this.#config.signals.map((sig) => listen(sig, () => this.#onSignal(sig)));
  }

  #removeSignals(): void {
    for (const remove of this.#signalListeners.splice(0)) remove();
  }

  #removeAll(): void {
    this.#removeSignals();
    for (const remove of this.#otherListeners.splice(0)) remove();
  }

  #tree(): string {
    return dumpTree(this.#root, { locate });
  }
}
