// Telling an operation's cancellation from a real error that happened while it was cancelled.
//
// An adapter that catches an error after its source was cancelled must not report the source's
// reason in its place: the error may be real (a connection reset, a decoding error, a failed
// flush) and merely coincide with the abort. Errors are never swallowed; cancellations are never
// reported as errors. So the reason replaces the error only when the error *is* the cancellation:
// the reason itself, or a cancellation-shaped error (`isCancellation`) raised once the source was
// cancelled (a DOMException or Node `AbortError` the abort caused).
//
// Never by `cause`: `new Error("flush failed", { cause: signal.reason })` is a real error that
// happened during the cancellation, and reading it as the cancellation would lose it.
import { isCancellation } from "../errors.js";
import { cancelReasonOf, type Cancellable } from "../on-cancel.js";

/**
 * True when `err` is what a cancellation of `source` looks like: `source` is cancelled, and `err`
 * is its reason itself or a cancellation (`isCancellation(err)`: a `CancelledError`, a DOMException
 * or Node `AbortError`). False while `source` is not cancelled, and for every other error, even
 * one whose `cause` is the reason. `source` may be a task (its reason is read without creating its
 * `AbortSignal`), anything with a `signal`, an `AbortSignal`, or `undefined` (false). Never throws.
 *
 * For adapters: in a `catch` after an operation of `source` failed, report the reason only when
 * this holds, and the error itself otherwise.
 *
 * @example
 * ```ts
 * try {
 *   chunk = await reader.read();
 * } catch (err) {
 *   throw isCancelledBy(err, signal) ? signal.reason : err; // a connection reset stays one
 * }
 * ```
 */
export function isCancelledBy(err: unknown, source: Cancellable | undefined): boolean {
  // The source's reason, not `signal.aborted`: a task's cancellation is decided (its reason set)
  // before its signal aborts, and deep in a tree core delivers the abort a moment later.
  let reason: unknown;
  try {
    reason = source === undefined ? undefined : cancelReasonOf(source);
  } catch {
    return false;
  }
  if (reason === undefined) return false;
  return err === reason || isCancellation(err);
}
