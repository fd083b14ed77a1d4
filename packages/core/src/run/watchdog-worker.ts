// The watchdog Worker (see watchdog.ts): started from its own file, never from a source string.
// workerData: the shared state (heartbeat, stop flag, stopped flag; slots in watchdog.ts), the
// hook's registry key, and the thresholds. Every pollMs it reads the heartbeat; when it has not
// moved for stallMs the main thread's loop is blocked and it calls the hook with "stall", after
// reportMs with "report". The hook runs through an inspector session connected to the main thread:
// V8 runs the evaluation as an interrupt inside the blocked loop.
// The session is connected at start, before "ready": connecting at the stall instead made the
// stall hook late by up to ~60 ms in 1 run of 5 (bench/blocked-signal.mjs). A session still
// connected when the process exits makes Node print "Waiting for the debugger to disconnect...",
// so on the stop flag the Worker disconnects and says so in the stopped slot, which the main thread
// waits on (Atomics.wait) before it exits. The phase slot settles the race with a stop that comes
// before the Worker even started: whichever of the two moves it from 0 first wins (the Worker to
// "connected": the main thread then waits; the main thread to "stopped early": the Worker never
// connects).
import { Session } from "node:inspector";
import { parentPort, workerData } from "node:worker_threads";

interface WatchdogData {
  state: Int32Array;
  slots: { beat: number; phase: number; stop: number; stopped: number };
  hook: string;
  pollMs: number;
  stallMs: number;
  reportMs: number;
}

const { state, slots, hook, pollMs, stallMs, reportMs } = workerData as WatchdogData;
const PHASE_CONNECTED = 1;
// Once stopped, the thread parks instead of ending: a thread still tearing itself down when the
// main thread calls process.exit() can abort the process (SIGABRT seen on Node 20 and 22 under
// load), while an idle thread is terminated cleanly by the exit. The Worker is unref'd, so a parked
// thread never keeps the process alive.
function park(): void {
  setInterval(() => undefined, 2 ** 30);
}
const stoppedEarly = Atomics.compareExchange(state, slots.phase, 0, PHASE_CONNECTED) !== 0;
if (stoppedEarly) park();
else watch();

function watch(): void {
  const session = new Session();
  session.connectToMainThread();
  let last = Atomics.load(state, slots.beat);
  let since = Date.now();
  let stage: "running" | "stalled" | "reported" = "running";

  function call(what: "stall" | "report"): void {
    session.post("Runtime.evaluate", { expression: `globalThis[Symbol.for(${JSON.stringify(hook)})]?.(${JSON.stringify(what)})` });
  }

  const timer = setInterval(() => {
    if (Atomics.load(state, slots.stop) !== 0) {
      clearInterval(timer);
      session.disconnect();
      Atomics.store(state, slots.stopped, 1);
      Atomics.notify(state, slots.stopped);
      park();
      return;
    }
    const now = Atomics.load(state, slots.beat);
    if (now !== last) {
      last = now;
      since = Date.now();
      stage = "running";
      return;
    }
    const stalled = Date.now() - since;
    if (stage === "running" && stalled >= stallMs) {
      stage = "stalled";
      call("stall");
    } else if (stage === "stalled" && stalled >= reportMs) {
      stage = "reported";
      call("report");
    }
  }, pollMs);

  // Watching: the main thread may now let cleanup run.
  parentPort?.postMessage("ready");
}
