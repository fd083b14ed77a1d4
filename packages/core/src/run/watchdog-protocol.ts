// What the two sides of the blocked-loop watchdog agree on: the main thread (watchdog.ts) and the
// Worker (watchdog-worker.ts) both import it, so the Worker's workerData is the shared state alone.

// A beat every 10 ms, read every 5 ms by the Worker: a stall is seen 30-45 ms after the loop's
// last turn. Shorter is possible but a GC pause of a large heap would then count as a stall.
export const BEAT_MS = 10;
export const POLL_MS = 5;
export const STALL_MS = 40;
// Long enough that a slow but turning loop is not reported as blocked.
export const REPORT_MS = 1000;
/** Key, in the global symbol registry, of the main thread's hook that the Worker calls. */
export const HOOK = "@nursery/core.run.watchdog";
// Slots of the shared state: the main thread's heartbeat; its request to stop; the Worker's answer.
// `phase`: 0 while the Worker boots, 1 once it connects (it sets it), 2 when stopped before that.
export const SLOTS = { beat: 0, phase: 1, stop: 2, stopped: 3 };
export const PHASE_CONNECTED = 1;
export const PHASE_STOPPED_EARLY = 2;
