// What a cancellation looks like to this package's readers, and where an error with no caller
// left goes. Listening for the abort itself is core's `onCancel` (@nursery/core/adapter): every
// operation adds exactly one listener through it and calls the remover when it settles.
import { isCancellation } from "@nursery/core";
import { cancelReasonOf, checkOptionalSignal, checkOptions, invalidArgument, isAbortSignal, type Cancellable } from "@nursery/core/adapter";

/**
 * True when `err` is what a cancellation of `source` looks like: the reason itself, or a
 * cancellation-shaped error (Node `AbortError` wrapping it, DOMException `AbortError`,
 * `CancelledError`) raised after the signal aborted.
 *
 * Never by `cause`: `new Error("flush failed", { cause: signal.reason })` is a real error that
 * happened during the cancellation, and reading it as the cancellation would lose it. Node's own
 * wrapper (`AbortError`, code `ABORT_ERR`) is cancellation-shaped, so it needs no `cause` test.
 */
export function isCancelledBy(err: unknown, source: Cancellable | undefined): boolean {
  // The source's reason, not `signal.aborted`: a task's cancellation is decided (its reason set)
  // before its signal aborts, and deep in a tree core delivers the abort a moment later.
  const reason = source === undefined ? undefined : cancelReasonOf(source);
  if (reason === undefined) return false;
  return err === reason || isCancellation(err);
}

/**
 * Raises an error that has no caller left to receive it (a source's cleanup that failed after its
 * reader already ended with the cancellation) as an unhandled rejection: reported by the process,
 * never swallowed. See docs/design/decisions/streams-late-chunks.md.
 */
export function reportDetached(err: unknown): void {
  void Promise.reject(err);
}

/** True for a task, a scope context, an AbortSignal or anything whose `signal` is one. */
export function isCancellable(value: unknown): value is Cancellable {
  if (isAbortSignal(value)) return true;
  if (typeof value !== "object" || value === null || !("signal" in value)) return false;
  // A task is recognised without reading its `signal`, which would create its AbortSignal (the
  // cost rule 3 of api-cancellation-source.md avoids); cancelReasonOf then reads it directly.
  const task = value as { state?: unknown; then?: unknown };
  if (typeof task.state === "string" && typeof task.then === "function") return true;
  return isAbortSignal((value).signal);
}

/** The cancellation source of an operation (its first argument), checked: the house TypeError otherwise. */
export function checkCancellable(name: string, value: unknown): Cancellable {
  if (!isCancellable(value)) throw invalidArgument(name, "a task, a scope context or an AbortSignal", value);
  return value;
}

/**
 * The cancellation source of a helper called in either form, checked after its other arguments:
 * `task` as the first argument, or (the deprecated form, `old`) `options.signal`.
 */
export function helperSource(old: boolean, first: unknown, options: unknown): Cancellable | undefined {
  if (!old) return checkCancellable("task", first);
  checkOptions("options", options);
  return checkOptionalSignal("options.signal", (options as { signal?: unknown } | undefined)?.signal);
}
