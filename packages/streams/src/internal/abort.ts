// Where an error with no caller left goes, and what this package accepts as a cancellation source.
// Listening for the abort itself is core's `onCancel`, and telling a cancellation from a real error
// is core's `isCancelledBy` (both @nursery/core/adapter): every operation adds exactly one listener
// through `onCancel` and calls the remover when it settles.
import { checkOptionalSignal, checkOptions, invalidArgument, isAbortSignal, type Cancellable } from "@nursery/core/adapter";

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
