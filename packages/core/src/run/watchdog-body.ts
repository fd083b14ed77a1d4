// The watchdog Worker's code (see watchdog.ts). The Worker runs it from its own module file,
// watchdog-worker.js, when that file is next to core's code; a program bundled into one file has
// no such file, and the Worker then runs this function's own source text (`eval: true`, see
// watchdog.ts). So the function is self-contained: it uses only its parameters and globals
// (setInterval, Atomics, Date, JSON), never an import, a module-level name or a helper a compiler
// or a bundler could add (no classes, no async, no spread, no nested named function: esbuild's
// keepNames wraps those in a helper call), and everything it needs arrives as parameters: the
// Worker's `workerData` (watchdog-protocol.ts) and the two Node classes it uses. A bundler may
// rename and minify it; the text stays runnable. Checked by watchdog-bundled.test.ts (esbuild,
// minified, with keepNames; rollup).
//
// Every pollMs it reads the heartbeat; when it has not moved for stallMs the main thread's loop is
// blocked and it calls the hook with "stall", after reportMs with "report". The hook runs through
// an inspector session connected to the main thread: V8 runs the evaluation as an interrupt inside
// the blocked loop. The session is connected at start, before "ready": connecting at the stall
// instead made the stall hook late by up to ~60 ms in 1 run of 5 (bench/blocked-signal.mjs). A
// session still connected when the process exits makes Node print "Waiting for the debugger to
// disconnect...", so on the stop flag the Worker disconnects and says so in the stopped slot, which
// the main thread waits on (Atomics.wait) before it exits. The phase slot settles the race with a
// stop that comes before the Worker even started: whichever of the two moves it from 0 first wins
// (the Worker to "connected": the main thread then waits; the main thread to "stopped early": the
// Worker never connects).
//
// Once stopped, the thread parks (an idle interval) instead of ending: a thread still tearing
// itself down when the main thread calls process.exit() can abort the process (SIGABRT seen on
// Node 20 and 22 under load), while an idle thread is terminated cleanly by the exit. The Worker is
// unref'd, so a parked thread never keeps the process alive.
import type { Session } from "node:inspector";
import type { MessagePort } from "node:worker_threads";
import type { WatchdogData } from "./watchdog-protocol.js";

/** Runs the watchdog in the Worker thread: `data` is its workerData, the rest what it imports. */
export function watchdogBody(data: WatchdogData, SessionClass: typeof Session, port: MessagePort | null): void {
  const { state, slots } = data;
  if (Atomics.compareExchange(state, slots.phase, 0, data.phaseConnected) !== 0) {
    // Stopped before it started: park.
    setInterval(() => undefined, 2 ** 30);
    return;
  }
  const session = new SessionClass();
  session.connectToMainThread();
  let last = Atomics.load(state, slots.beat);
  let since = Date.now();
  let stage: "running" | "stalled" | "reported" = "running";

  const timer = setInterval(() => {
    if (Atomics.load(state, slots.stop) !== 0) {
      clearInterval(timer);
      session.disconnect();
      Atomics.store(state, slots.stopped, 1);
      Atomics.notify(state, slots.stopped);
      setInterval(() => undefined, 2 ** 30);
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
    let what: "stall" | "report" | undefined;
    if (stage === "running" && stalled >= data.stallMs) {
      stage = "stalled";
      what = "stall";
    } else if (stage === "stalled" && stalled >= data.reportMs) {
      stage = "reported";
      what = "report";
    }
    if (what !== undefined) {
      session.post("Runtime.evaluate", {
        expression: `globalThis[Symbol.for(${JSON.stringify(data.hook)})]?.(${JSON.stringify(what)})`,
      });
    }
  }, data.pollMs);

  // Watching: the main thread may now let cleanup run.
  port?.postMessage("ready");
}
