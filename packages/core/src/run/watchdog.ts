// The main thread's side of the blocked-loop watchdog (the why is in run.ts's header).
//
// The main thread increments a shared heartbeat every BEAT_MS from a timer; the Worker
// (watchdog-worker.ts) sees it stop; the timing and the shared slots are in watchdog-protocol.ts.
// At STALL_MS without a beat it calls `onStall` inside the blocked loop (run() removes its signal
// listeners: the next signal kills the process by the OS default); at REPORT_MS it calls `onReport` (run() prints what is still running). When beats come
// back, the loop turned again: `onResume` re-installs what onStall removed, so a slow turn (a GC
// pause, a loaded machine) costs nothing but the window it was uninstalled in.
import { Worker } from "node:worker_threads";
import { BEAT_MS, HOOK, PHASE_STOPPED_EARLY, SLOTS } from "./watchdog-protocol.js";
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
   * started, or later when the Worker fails.
   */
  start(fallback: () => void): void {
    if (!canInterruptBlockedLoop()) return fallback();
    try {
      const state = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
      (globalThis as unknown as Registry)[Symbol.for(HOOK)] = (what) => this.#onHook(what);
      this.#heartbeat = setInterval(() => this.#beat(state), BEAT_MS);
      this.#heartbeat.unref();
      const worker = new Worker(watchdogUrl(), { workerData: { state } });
      worker.unref();
      this.#worker = worker;
      worker.once("message", () => this.#hooks.onReady());
      worker.on("error", () => {
        if (this.#stopped) return;
        this.stop();
        fallback();
      });
      this.#state = state;
      return;
    } catch {
      this.stop();
    }
    fallback();
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

  #beat(state: Int32Array): void {
    Atomics.add(state, SLOTS.beat, 1);
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
