// The watchdog Worker (see watchdog.ts): started from its own file, never from a source string.
// workerData: the shared state (heartbeat, stop flag, stopped flag); its slots, the hook's
// registry key and the thresholds are in watchdog-protocol.ts. Every POLL_MS it reads the
// heartbeat; when it has not moved for STALL_MS the main thread's loop is blocked and it calls the
// hook with "stall", after REPORT_MS with "report". The hook runs through an inspector session
// connected to the main thread: V8 runs the evaluation as an interrupt inside the blocked loop.
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
import { HOOK, PHASE_CONNECTED, POLL_MS, REPORT_MS, SLOTS, STALL_MS } from "./watchdog-protocol.js";

const { state } = workerData as { state: Int32Array };

// Once stopped, the thread parks instead of ending: a thread still tearing itself down when the
// main thread calls process.exit() can abort the process (SIGABRT seen on Node 20 and 22 under
// load), while an idle thread is terminated cleanly by the exit. The Worker is unref'd, so a parked
// thread never keeps the process alive.
function park(): void {
  setInterval(() => undefined, 2 ** 30);
}
const stoppedEarly = Atomics.compareExchange(state, SLOTS.phase, 0, PHASE_CONNECTED) !== 0;
if (stoppedEarly) park();
else watch();

function watch(): void {
  const session = new Session();
  session.connectToMainThread();
  let last = Atomics.load(state, SLOTS.beat);
  let since = Date.now();
  let stage: "running" | "stalled" | "reported" = "running";

  function call(what: "stall" | "report"): void {
    session.post("Runtime.evaluate", { expression: `globalThis[Symbol.for(${JSON.stringify(HOOK)})]?.(${JSON.stringify(what)})` });
  }

  const timer = setInterval(() => {
    if (Atomics.load(state, SLOTS.stop) !== 0) {
      clearInterval(timer);
      session.disconnect();
      Atomics.store(state, SLOTS.stopped, 1);
      Atomics.notify(state, SLOTS.stopped);
      park();
      return;
    }
    const now = Atomics.load(state, SLOTS.beat);
    if (now !== last) {
      last = now;
      since = Date.now();
      stage = "running";
      return;
    }
    const stalled = Date.now() - since;
    if (stage === "running" && stalled >= STALL_MS) {
      stage = "stalled";
      call("stall");
    } else if (stage === "stalled" && stalled >= REPORT_MS) {
      stage = "reported";
      call("report");
    }
  }, POLL_MS);

  // Watching: the main thread may now let cleanup run.
  parentPort?.postMessage("ready");
}
