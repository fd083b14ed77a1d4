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

export interface WatchdogHooks {
  onStall(): void;
  onReport(): void;
  onResume(): void;
}

type Registry = Record<symbol, ((what: string) => void) | undefined>;

export class Watchdog {
  readonly #hooks: WatchdogHooks;
  #worker: Worker | undefined = undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined = undefined;
  #stalled = false;
  #stopped = false;

  constructor(hooks: WatchdogHooks) {
    this.#hooks = hooks;
  }

  /** Starts watching; false when no Worker can be started here (the caller falls back). */
  start(onError: () => void): boolean {
    try {
      const beat = new Int32Array(new SharedArrayBuffer(4));
      (globalThis as unknown as Registry)[Symbol.for(HOOK)] = (what) => this.#onHook(what);
      this.#heartbeat = setInterval(() => this.#beat(beat), BEAT_MS);
      this.#heartbeat.unref();
      const worker = new Worker(watchdogUrl(), {
        workerData: { beat, hook: HOOK, pollMs: POLL_MS, stallMs: STALL_MS, reportMs: REPORT_MS },
      });
      worker.unref();
      worker.on("error", () => {
        if (this.#stopped) return;
        this.stop();
        onError();
      });
      this.#worker = worker;
      return true;
    } catch {
      this.stop();
      return false;
    }
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    delete (globalThis as unknown as Registry)[Symbol.for(HOOK)];
    this.#worker?.postMessage("stop");
    this.#worker = undefined;
  }

  #beat(beat: Int32Array): void {
    Atomics.add(beat, 0, 1);
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
