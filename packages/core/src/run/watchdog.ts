// The main thread's side of the blocked-loop watchdog (the why is in run.ts's header).
//
// The main thread increments a shared heartbeat every BEAT_MS from a timer; the Worker
// (watchdog-worker.ts) sees it stop. At STALL_MS without a beat it calls `onStall` inside the
// blocked loop (run() removes its signal listeners: the next signal kills the process by the OS
// default); at REPORT_MS it calls `onReport` (run() prints what is still running). When beats come
// back, the loop turned again: `onResume` re-installs what onStall removed, so a slow turn (a GC
// pause, a loaded machine) costs nothing but the window it was uninstalled in.
import { Worker } from "node:worker_threads";
import { watchdogUrl } from "./watchdog-url.js";

// A beat every 10 ms, read every 5 ms by the Worker: a stall is seen 30-45 ms after the loop's
// last turn. Shorter is possible but a GC pause of a large heap would then count as a stall.
const BEAT_MS = 10;
const POLL_MS = 5;
const STALL_MS = 40;
// Long enough that a slow but turning loop is not reported as blocked.
const REPORT_MS = 1000;
const HOOK = "@nursery/core.run.watchdog";
// The longest stop() waits for the Worker to disconnect its inspector session (it polls every
// POLL_MS, so it answers in a few ms on an idle machine): past it, the exit goes ahead, with Node's
// "Waiting for the debugger" line. Generous because exiting while the session is still connected
// can abort the process (SIGABRT instead of 143, seen once on Node 22 on a loaded machine when
// this was 100 ms): the wait ends as soon as the Worker answers, so only a starved Worker costs it.
const STOP_WAIT_MS = 1000;
// Slots of the shared state: the main thread's heartbeat; its request to stop; the Worker's answer.
// `phase`: 0 while the Worker boots, 1 once it connects (it sets it), 2 when stopped before that.
const SLOTS = { beat: 0, phase: 1, stop: 2, stopped: 3 };
const PHASE_STOPPED_EARLY = 2;

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
  #state: Int32Array | undefined = undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined = undefined;
  #stalled = false;
  #stopped = false;
  #worker: Worker | undefined = undefined;

  constructor(hooks: WatchdogHooks) {
    this.#hooks = hooks;
  }

  /** Starts watching; false when no Worker can be started here (the caller falls back). */
  start(onError: () => void): boolean {
    if (!canInterruptBlockedLoop()) return false;
    try {
      const state = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
      (globalThis as unknown as Registry)[Symbol.for(HOOK)] = (what) => this.#onHook(what);
      this.#heartbeat = setInterval(() => this.#beat(state), BEAT_MS);
      this.#heartbeat.unref();
      const worker = new Worker(watchdogUrl(), {
        workerData: { state, slots: SLOTS, hook: HOOK, pollMs: POLL_MS, stallMs: STALL_MS, reportMs: REPORT_MS },
      });
      worker.unref();
      this.#worker = worker;
      worker.once("message", () => this.#hooks.onReady());
      worker.on("error", () => {
        if (this.#stopped) return;
        this.stop();
        onError();
      });
      this.#state = state;
      return true;
    } catch {
      this.stop();
      return false;
    }
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
