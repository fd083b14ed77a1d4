// Whether a task (or a nursery's body) that rejected ended by its nursery's cancellation or failed.
// A cancellation fails nothing and cancels no sibling; an error is reported in the NurseryError.
import { isCancellation, type CancelledError } from "../errors.js";

/**
 * CancelledErrors made by `Task.cancel()`: a task cancelled on purpose. Awaiting such a task
 * rejects with its reason, and whoever rethrows it (a body or a sibling that awaited the task)
 * ended by that cancellation, not by an error: nurseries recognise it here, by identity. Only the
 * library adds to it, so a CancelledError built and thrown by user code is still an error.
 */
export const deliberate = new WeakSet<CancelledError>();

/** `err.cause`, or undefined when reading it throws (a revoked Proxy, a throwing getter). */
function causeOf(err: unknown): unknown {
  try {
    return (err as { cause?: unknown } | null | undefined)?.cause;
  } catch {
    return undefined;
  }
}

/**
 * A rejection `err` is a cancellation, not an error, when it is:
 * - the nursery's reason (`nurseryReason`) or the task's own (`own`), by identity;
 * - a cancellation-shaped error (`isCancellation`) while the task's own signal was aborted, or
 *   one that wraps the nursery's reason in `.cause`, as Node's AbortError does;
 * - the CancelledError of a task cancelled on purpose with `Task.cancel()`, rethrown by whoever
 *   awaited that task (`c.cancel(); await c`, effection's `halt()`).
 * Nothing else: an error that merely carries a reason as its `cause` ("flush failed during
 * cancel") is a real error, and so is an unrelated AbortError. Test: nursery.test.ts,
 * "regression: a real error whose cause is the cancellation reason is reported".
 */
export function isOwnCancellation(err: unknown, own: CancelledError | undefined, nurseryReason: CancelledError | undefined): boolean {
  if (err === undefined) return false;
  if (err === nurseryReason || err === own) return true;
  if (!isCancellation(err)) return false;
  if (own !== undefined) return true;
  if (nurseryReason !== undefined && causeOf(err) === nurseryReason) return true;
  return deliberate.has(err as CancelledError);
}
