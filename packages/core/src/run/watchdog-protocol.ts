// What the two sides of the blocked-loop watchdog agree on: the main thread (watchdog.ts) sends it
// all as the Worker's workerData, so the Worker's code (watchdog-body.ts) imports none of it and
// runs the same from its module file and from its source text.

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

/** The Worker's workerData: the shared state and every constant its code uses. */
export interface WatchdogData {
  readonly state: Int32Array;
  readonly slots: typeof SLOTS;
  readonly phaseConnected: number;
  readonly pollMs: number;
  readonly stallMs: number;
  readonly reportMs: number;
  readonly hook: string;
}

export function watchdogData(state: Int32Array): WatchdogData {
  return { state, slots: SLOTS, phaseConnected: PHASE_CONNECTED, pollMs: POLL_MS, stallMs: STALL_MS, reportMs: REPORT_MS, hook: HOOK };
}
