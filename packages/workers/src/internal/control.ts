// The control blocks of a pool's jobs: shared memory both threads read and write with Atomics, so a
// cancellation reaches a CPU loop that never yields (its `checkpoint()` is one Atomics.load) and
// "was it cancelled before it started?" has one answer (a compare-exchange on STATE).
//
// One SharedArrayBuffer per pool, given to every thread once as piscina's `workerData`, holds a
// slot per job piscina may hold at once (the pool's admission capacity). A job gets a free slot
// when it is handed to piscina and gives it back once piscina's promise for it settled: the worker
// is then done with it (finished, skipped it, or is gone). A job carries only its slot's number.
// (A SharedArrayBuffer per job, cloned with every message, cost ~20% of raw piscina's throughput
// on 10,000 small jobs.)
//
// Layout of a slot (Int32 words, then bytes):
//   STATE  QUEUED -> RUNNING (the worker, as the job starts) or QUEUED -> SKIPPED (the main thread,
//          cancelling a job a thread has not started yet): exactly one compare-exchange wins.
//          RUNNING -> DONE (the worker, once the function settled, before posting the result).
//   STOP   0, then 1 once the caller's task was cancelled. Written by the main thread only, after
//          the reason bytes; Atomics.store orders those plain writes before it.
//   LENGTH bytes of the reason, UTF-8 JSON of { source, detail, nursery, task }, from REASON_AT.
//   THREAD threadId of the worker running the job: the thread to terminate once the grace passed.
//
// Waking async work. A job blocked on `await` sees STOP only when something turns its thread's
// event loop: the worker side arms Atomics.waitAsync on STOP (when the job first reads `signal`),
// and requestStop() notifies it, which resolves the wait as an event of that thread's loop.

export const STATE = 0;
export const STOP = 1;
const LENGTH = 2;
/** The threadId of the worker that claimed the job, written as it does. */
export const THREAD = 3;
const REASON_AT = 16;
const REASON_BYTES = 240;
const SLOT_BYTES = REASON_AT + REASON_BYTES;
const SLOT_WORDS = SLOT_BYTES / 4;

/** The key of the pool's control memory in each thread's `workerData`. */
export const CONTROL_KEY = "@nursery/workers:control";

export const QUEUED = 0;
export const RUNNING = 1;
export const SKIPPED = 2;
/** Set by the worker once the job's function settled, before its result is posted. */
export const DONE = 3;

/** What crosses the thread boundary of a cancellation: the main thread's CancelReason, as text. */
export interface WireReason {
  source: string;
  detail?: string | number;
  nursery?: string;
  task?: string;
}

export function newControl(slots: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(SLOT_BYTES * slots));
}

/** The index of word `word` of slot `slot`. */
export function at(slot: number, word: number): number {
  return slot * SLOT_WORDS + word;
}

/** Main thread: readies a free slot for a new job. */
export function resetSlot(control: Int32Array, slot: number): void {
  Atomics.store(control, at(slot, LENGTH), 0);
  Atomics.store(control, at(slot, THREAD), 0);
  Atomics.store(control, at(slot, STOP), 0);
  Atomics.store(control, at(slot, STATE), QUEUED);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function clip(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  return max <= 3 ? "" : `${text.slice(0, max - 3)}...`;
}

/**
 * The reason as JSON that fits the slot's bytes. Names are clipped, shorter and shorter, by their
 * UTF-8 size rather than their length (100 CJK characters are 300 bytes): JSON cut short by
 * encodeInto would not parse, and the worker would read an unknown reason ("parent"), losing the
 * caller's source and detail.
 */
function fitted(reason: WireReason): string {
  const text = JSON.stringify(reason);
  if (encoder.encode(text).length <= REASON_BYTES) return text;
  for (const max of [100, 40, 16, 0]) {
    const clipped: WireReason = { source: reason.source };
    const detail = typeof reason.detail === "string" ? clip(reason.detail, max) : reason.detail;
    if (detail !== undefined) clipped.detail = detail;
    const nursery = clip(reason.nursery, max);
    if (nursery !== undefined) clipped.nursery = nursery;
    const task = clip(reason.task, max);
    if (task !== undefined) clipped.task = task;
    const short = JSON.stringify(clipped);
    if (encoder.encode(short).length <= REASON_BYTES) return short;
  }
  return JSON.stringify({ source: reason.source });
}

/** Main thread: records why the job is cancelled, then raises STOP and wakes the worker's waiter. */
export function requestStop(control: Int32Array, slot: number, reason: WireReason): void {
  const bytes = new Uint8Array(control.buffer, slot * SLOT_BYTES + REASON_AT, REASON_BYTES);
  const { written } = encoder.encodeInto(fitted(reason), bytes);
  Atomics.store(control, at(slot, LENGTH), written);
  Atomics.store(control, at(slot, STOP), 1);
  Atomics.notify(control, at(slot, STOP));
}

/** Worker thread: the reason written by requestStop(); only meaningful once STOP is 1. */
export function readReason(control: Int32Array, slot: number): WireReason {
  const length = Atomics.load(control, at(slot, LENGTH));
  try {
    // slice() copies into an unshared buffer: TextDecoder does not accept shared memory everywhere.
    const parsed: unknown = JSON.parse(decoder.decode(new Uint8Array(control.buffer, slot * SLOT_BYTES + REASON_AT, length).slice()));
    if (typeof parsed === "object" && parsed !== null && typeof (parsed as WireReason).source === "string") {
      return parsed as WireReason;
    }
  } catch {
    // Unreadable bytes cannot happen with requestStop(); fall through to a reason that still says "cancelled".
  }
  return { source: "parent" };
}
