// The first argument of every timer in its new form (docs/design/decisions/api-cancellation-source.md):
// a Cancellable, checked once here, and the clock it carries (a task's or a scope context's), so
// a nursery's VirtualClock reaches its sleeps without a `clock` option.
import { isAbortSignal, type Cancellable, type Clock } from "@nursery/core";
import { cancelReasonOf, checkOptionalClock, invalidArgument } from "@nursery/core/adapter";

/** True when core takes `source` for a Cancellable; for a task, without reading (creating) its signal. */
function isCancellable(source: object): boolean {
  try {
    cancelReasonOf(source as Cancellable);
    return true;
  } catch {
    return false;
  }
}

/** Checks `source` is a `Cancellable` and returns its clock, if it has one. */
export function sourceOf(source: unknown): { clock?: Clock | undefined } {
  if (isAbortSignal(source)) return {};
  if (typeof source === "object" && source !== null && "signal" in source && isCancellable(source)) {
    const clock = (source as { clock?: unknown }).clock;
    return { clock: clock === undefined ? undefined : checkOptionalClock("clock", clock) };
  }
  throw invalidArgument("source", "a task, a scope context or an AbortSignal", source);
}

/** The signal of a checked source. */
export function signalOf(source: AbortSignal | { readonly signal: AbortSignal }): AbortSignal {
  return isAbortSignal(source) ? source : source.signal;
}
