// The one way this package listens to an AbortSignal. Every operation adds exactly one listener
// through `onAbort` and calls the returned remover when it settles, so listener counts return to
// baseline (a listener per item on a long-lived task signal is the O(n^2) trap on Node 20).
// Not `{ once: true }`: removal must not depend on the event firing.
import { isCancellation } from "@nursery/core";

export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  const handler = (): void => listener();
  signal.addEventListener("abort", handler);
  return () => signal.removeEventListener("abort", handler);
}

/**
 * True when `err` is what a cancellation through `signal` looks like: the reason itself, or a
 * cancellation-shaped error (Node `AbortError` wrapping it, DOMException `AbortError`,
 * `CancelledError`) raised after the signal aborted.
 */
export function isCancelledBy(err: unknown, signal: AbortSignal | undefined): boolean {
  if (signal === undefined || !signal.aborted) return false;
  return err === signal.reason || isCancellation(err) || (err as { cause?: unknown } | null)?.cause === signal.reason;
}

/**
 * Raises an error that has no caller left to receive it (a source's cleanup that failed after its
 * reader already ended with the cancellation) as an unhandled rejection: reported by the process,
 * never swallowed. See docs/design/decisions/streams-late-chunks.md.
 */
export function reportDetached(err: unknown): void {
  void Promise.reject(err);
}
