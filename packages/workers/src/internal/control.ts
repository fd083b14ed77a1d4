// The control block of one job: a SharedArrayBuffer both threads read and write with Atomics, so a
// cancellation reaches a CPU loop that never yields (its `checkpoint()` is one Atomics.load) and
// "was it cancelled before it started?" has one answer (a compare-exchange on STATE).
//
// Layout (Int32 words, then bytes):
//   STATE  QUEUED -> RUNNING (the worker, as the job starts) or QUEUED -> SKIPPED (the main thread,
//          cancelling a job a thread has not started yet). Exactly one compare-exchange wins.
//   STOP   0, then 1 once the caller's task was cancelled. Written by the main thread only, after
//          the reason bytes; Atomics.store orders those plain writes before it.
//   LENGTH bytes of the reason, UTF-8 JSON of { source, detail, nursery, task }, from REASON_AT.
// The main thread allocates a block when it hands a job to piscina, not when the job is queued, so
// queued jobs cost no shared memory.
//
// Waking async work. A job blocked on `await` sees STOP only when something turns its thread's
// event loop: the worker side arms Atomics.waitAsync on STOP (when the job first reads `signal`),
// and requestStop() notifies it, which resolves the wait as an event of that thread's loop.

export const STATE = 0;
export const STOP = 1;
const LENGTH = 2;
const REASON_AT = 16;
const REASON_BYTES = 496;

export const QUEUED = 0;
export const RUNNING = 1;
export const SKIPPED = 2;

/** What crosses the thread boundary of a cancellation: the main thread's CancelReason, as text. */
export interface WireReason {
  source: string;
  detail?: string | number;
  nursery?: string;
  task?: string;
}

export function newControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(REASON_AT + REASON_BYTES));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function clip(text: string | undefined, max: number): string | undefined {
  return text === undefined || text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** Main thread: records why the job is cancelled, then raises STOP and wakes the worker's waiter. */
export function requestStop(control: Int32Array, reason: WireReason): void {
  const bytes = new Uint8Array(control.buffer, REASON_AT, REASON_BYTES);
  let text = JSON.stringify(reason);
  if (encoder.encode(text).length > REASON_BYTES) {
    text = JSON.stringify({ source: reason.source, nursery: clip(reason.nursery, 100), task: clip(reason.task, 100) });
  }
  const { written } = encoder.encodeInto(text, bytes);
  Atomics.store(control, LENGTH, written);
  Atomics.store(control, STOP, 1);
  Atomics.notify(control, STOP);
}

/** Worker thread: the reason written by requestStop(); only meaningful once STOP is 1. */
export function readReason(control: Int32Array): WireReason {
  const length = Atomics.load(control, LENGTH);
  try {
    // slice() copies into an unshared buffer: TextDecoder does not accept shared memory everywhere.
    const parsed: unknown = JSON.parse(decoder.decode(new Uint8Array(control.buffer, REASON_AT, length).slice()));
    if (typeof parsed === "object" && parsed !== null && typeof (parsed as WireReason).source === "string") {
      return parsed as WireReason;
    }
  } catch {
    // Unreadable bytes cannot happen with requestStop(); fall through to a reason that still says "cancelled".
  }
  return { source: "parent" };
}
