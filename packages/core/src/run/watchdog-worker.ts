// The watchdog Worker (see watchdog.ts): started from its own file, never from a source string.
// workerData: the shared heartbeat the main thread increments, the hook's registry key, and the
// thresholds. Every pollMs it reads the heartbeat; when it has not moved for stallMs the main
// thread's loop is blocked and it calls the hook with "stall", after reportMs with "report". The
// hook runs through an inspector session connected to the main thread: V8 runs the evaluation as an
// interrupt inside the blocked loop. The session is connected at the first stall only (an idle
// connected session costs the main thread nothing, but there is no reason to hold one). A message
// from the main thread stops the watchdog.
import { Session } from "node:inspector";
import { parentPort, workerData } from "node:worker_threads";

interface WatchdogData {
  beat: Int32Array;
  hook: string;
  pollMs: number;
  stallMs: number;
  reportMs: number;
}

const { beat, hook, pollMs, stallMs, reportMs } = workerData as WatchdogData;
let session: Session | undefined;
let last = Atomics.load(beat, 0);
let since = Date.now();
let stage: "running" | "stalled" | "reported" = "running";

function call(what: "stall" | "report"): void {
  if (session === undefined) {
    session = new Session();
    session.connectToMainThread();
  }
  session.post("Runtime.evaluate", { expression: `globalThis[Symbol.for(${JSON.stringify(hook)})]?.(${JSON.stringify(what)})` });
}

const timer = setInterval(() => {
  const now = Atomics.load(beat, 0);
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

parentPort?.on("message", () => {
  clearInterval(timer);
  session?.disconnect();
  parentPort?.close();
});
