// What a cancellation looks like to this package's readers, and where an error with no caller
// left goes. Listening for the abort itself is core's `onCancel` (@nursery/core/adapter): every
// operation adds exactly one listener through it and calls the remover when it settles.
import { isCancellation } from "@nursery/core";

/**
 * True when `err` is what a cancellation through `signal` looks like: the reason itself, or a
 * cancellation-shaped error (Node `AbortError` wrapping it, DOMException `AbortError`,
 * `CancelledError`) raised after the signal aborted.
 *
 * Never by `cause`: `new Error("flush failed", { cause: signal.reason })` is a real error that
 * happened during the cancellation, and reading it as the cancellation would lose it. Node's own
 * wrapper (`AbortError`, code `ABORT_ERR`) is cancellation-shaped, so it needs no `cause` test.
 */
export function isCancelledBy(err: unknown, signal: AbortSignal | undefined): boolean {
  if (signal === undefined || !signal.aborted) return false;
  return err === signal.reason || isCancellation(err);
}

/**
 * Raises an error that has no caller left to receive it (a source's cleanup that failed after its
 * reader already ended with the cancellation) as an unhandled rejection: reported by the process,
 * never swallowed. See docs/design/decisions/streams-late-chunks.md.
 */
export function reportDetached(err: unknown): void {
  void Promise.reject(err);
}
