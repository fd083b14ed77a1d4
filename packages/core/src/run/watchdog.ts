// The main thread's side of the blocked-loop watchdog (the why is in run.ts's header).
//
// The main thread increments a shared heartbeat every BEAT_MS from a timer; the Worker
// (watchdog-body.ts) sees it stop; the timing and the shared slots are in watchdog-protocol.ts.
// At STALL_MS without a beat it calls `onStall` inside the blocked loop (run() removes its signal
// listeners: the next signal kills the process by the OS default); at REPORT_MS it calls `onReport` (run() prints what is still running). When beats come
// back, the loop turned again: `onResume` re-installs what onStall removed, so a slow turn (a GC
// pause, a loaded machine) costs nothing but the window it was uninstalled in.
//
// Where the Worker's code comes from. Its module file, watchdog-worker.js next to this one, when
// it is there. A program bundled into one file (esbuild, rollup, ncc: common for CLIs) has no such
// file, and in a CommonJS bundle not even an `import.meta.url` to find it by; its Worker then runs
// watchdog-body.ts's function from its own source text (Function.prototype.toString) in an
// `eval: true` Worker (Node 10+), which has `require` for the two built-in modules it needs. The
// function is self-contained for that (its header), so the text survives a bundler's renaming and
// minifying. The source text is also the second try when the file is there but its Worker fails
// before it watches (a bundler that copied the file without what it imports). When neither
// watches, `fallback` gets the last error: run() says so on stderr instead of degrading silently.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { watchdogBody } from "./watchdog-body.js";
import { BEAT_MS, HOOK, PHASE_STOPPED_EARLY, SLOTS, watchdogData, type WatchdogData } from "./watchdog-protocol.js";
import { watchdogUrl } from "./watchdog-url.js";

// The longest stop() waits for the Worker to disconnect its inspector session (it polls every
// POLL_MS, so it answers in a few ms on an idle machine): past it, the exit goes ahead, with Node's
// "Waiting for the debugger" line. Generous because exiting while the session is still connected
// can abort the process (SIGABRT instead of 143, seen once on Node 22 on a loaded machine when
// this was 100 ms): the wait ends as soon as the Worker answers, so only a starved Worker costs it.
const STOP_WAIT_MS = 1000;

export interface WatchdogHooks {
  /** The Worker is watching. */
  onReady(): void;
  onStall(): void;
  onReport(): void;
  onResume(): void;
}

// Bun and Deno have Workers but no inspector session that reaches the main thread: Deno throws
// "connectToMainThread not supported" (and prints it as an uncaught error); on Bun the hook never
// runs in the blocked main thread and no error says so. Either way the Worker cannot interrupt a
// blocked loop, and a second signal was lost while cleanup blocked it. There run() takes its fallback from the first signal instead.
// Covered by conformance/tests/run.test.mjs on Bun and Deno (docs/guide/runtimes.md).
function canInterruptBlockedLoop(): boolean {
  return process.versions["bun"] === undefined && process.versions["deno"] === undefined;
}

type Registry = Record<symbol, ((what: string) => void) | undefined>;
type Starter = (data: WatchdogData) => Worker;
type Fallback = (reason?: unknown, watched?: boolean) => void;

/** The ways to start the Worker, in order: its module file when it is there, then its source text. */
function starters(): Starter[] {
  const list: Starter[] = [];
  let url: URL | undefined;
  try {
    url = watchdogUrl();
  } catch {
    // A CommonJS bundle: `import.meta.url` is undefined there, so there is no file to look for.
  }
  if (url?.protocol === "file:" && existsSync(fileURLToPath(url))) {
    const file = url;
    list.push((data) => new Worker(file, { workerData: data }));
  }
  list.push((data) => new Worker(sourceText(), { eval: true, workerData: data }));
  return list;
}

/** The Worker's code as source text: watchdog-worker.ts's two imports, then watchdog-body.ts's function. */
function sourceText(): string {
  return [
    'const { parentPort, workerData } = require("node:worker_threads");',
    'const { Session } = require("node:inspector");',
    `(${watchdogBody.toString()})(workerData, Session, parentPort);`,
  ].join("\n");
}

export class Watchdog {
  readonly #hooks: WatchdogHooks;
  #state: Int32Array | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #stalled = false;
  #stopped = false;
  #worker: Worker | undefined;

  constructor(hooks: WatchdogHooks) {
    this.#hooks = hooks;
  }

  /**
   * Starts watching. `fallback` is called when no Worker watches here: at once when none can be
   * started (on Bun and Deno with no reason: the fallback is their design, not a fault), or later
   * when the Worker fails, with the error that says why (`watched`: it had been watching).
   */
  start(fallback: Fallback): void {
    if (!canInterruptBlockedLoop()) return fallback();
    try {
      (globalThis as unknown as Registry)[Symbol.for(HOOK)] = (what) => this.#onHook(what);
      this.#heartbeat = setInterval(() => this.#beat(), BEAT_MS);
      this.#heartbeat.unref();
      this.#attempt(starters(), fallback);
    } catch (err) {
      this.stop();
      fallback(err);
    }
  }

  /** Starts the Worker the first way in `left`; when that Worker fails before it watches, the next. */
  #attempt(left: Starter[], fallback: Fallback, failure?: unknown): void {
    const next = left.shift();
    if (next === undefined) {
      this.stop();
      return fallback(failure);
    }
    // A fresh state each time: a Worker that failed may have moved the phase slot.
    const state = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
    this.#state = state;
    let worker: Worker;
    try {
      worker = next(watchdogData(state));
    } catch (err) {
      return this.#attempt(left, fallback, err);
    }
    worker.unref();
    this.#worker = worker;
    let watching = false;
    worker.once("message", () => {
      watching = true;
      this.#hooks.onReady();
    });
    worker.on("error", (err) => {
      if (this.#stopped) return;
      if (watching) {
        this.stop();
        fallback(err, true);
      } else {
        this.#attempt(left, fallback, err);
      }
    });
  }

  /**
   * Ends the stopped Worker's thread, for a run() that does not exit the process (`exit: false`).
   * A run() that exits leaves it parked instead: the exit terminates an idle thread cleanly, while
   * one still ending on its own when the process exits can abort it (watchdog-worker.ts).
   */
  release(): void {
    this.stop();
    void this.#worker?.terminate();
    this.#worker = undefined;
  }

  /** Stops the Worker and waits (at most STOP_WAIT_MS) until it disconnected from this thread. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    delete (globalThis as unknown as Registry)[Symbol.for(HOOK)];
    const state = this.#state;
    const connected = state !== undefined && Atomics.compareExchange(state, SLOTS.phase, 0, PHASE_STOPPED_EARLY) !== 0;
    if (connected) {
      Atomics.store(state, SLOTS.stop, 1);
      // Blocking the main thread for a few ms, once, at the end of a shutdown: the exit that
      // follows must not find the session still connected.
      Atomics.wait(state, SLOTS.stopped, 0, STOP_WAIT_MS);
    }
  }

  #beat(): void {
    if (this.#state !== undefined) Atomics.add(this.#state, SLOTS.beat, 1);
    if (this.#stalled) {
      this.#stalled = false;
      this.#hooks.onResume();
    }
  }

  #onHook(what: string): void {
    if (this.#stopped) return;
    if (what === "stall") {
      this.#stalled = true;
      this.#hooks.onStall();
    } else if (what === "report" && this.#stalled) {
      this.#hooks.onReport();
    }
  }
}
