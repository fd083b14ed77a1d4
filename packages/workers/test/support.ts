// Shared test helpers: the jobs fixture, and the shared-memory event log its jobs write to, so a
// test waits for what a worker did (a condition), never for time.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const JOBS = pathToFileURL(join(__dirname, "fixtures", "jobs.mjs"));

/** Event codes written by test/fixtures/jobs.mjs. */
export const EVENTS = { started: 1, cleanup: 2, sawCancel: 3, childA: 4, childB: 5, childC: 6 } as const;
type EventName = keyof typeof EVENTS;

/** An event log shared with a worker: slot 0 counts events, slots 1.. hold them in order. */
export function eventLog(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * 32));
}

/** The events a worker recorded, in order, by name. */
export function events(log: Int32Array): EventName[] {
  const names = Object.fromEntries(Object.entries(EVENTS).map(([k, v]) => [v, k])) as Record<number, EventName>;
  return Array.from(log.slice(1, 1 + Atomics.load(log, 0)), (code) => names[code] as EventName);
}

// Atomics.waitAsync is in Node 16+ but not in the ES2023 lib.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t?: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/**
 * Resolves once the worker recorded `event` (a condition it reports through shared memory). The
 * timeout only turns a broken test into a clear failure.
 */
export async function waitForEvent(log: Int32Array, event: EventName, timeout = 20_000): Promise<void> {
  const started = Date.now();
  while (!events(log).includes(event)) {
    if (Date.now() - started > timeout) throw new Error(`no "${event}" event within ${timeout} ms; saw ${events(log).join(", ")}`);
    const wait = waitAsync(log, 0, Atomics.load(log, 0), 1000);
    if (wait.async) await wait.value;
  }
}
