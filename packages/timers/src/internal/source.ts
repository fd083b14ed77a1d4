// The first argument of every timer in its new form (docs/design/decisions/api-cancellation-source.md):
// a Cancellable, checked once here, and the clock it carries (a task's or a scope context's), so
// a nursery's VirtualClock reaches its sleeps without a `clock` option.
import { isAbortSignal, type Clock } from "@nursery/core";
import { checkOptionalClock, invalidArgument } from "@nursery/core/adapter";

/** Checks `source` is a `Cancellable` and returns its clock, if it has one. */
export function sourceOf(source: unknown): { clock?: Clock | undefined } {
  if (isAbortSignal(source)) return {};
  if (typeof source === "object" && source !== null && "signal" in source && isAbortSignal((source).signal)) {
    const clock = (source as { clock?: unknown }).clock;
    return { clock: clock === undefined ? undefined : checkOptionalClock("clock", clock) };
  }
  throw invalidArgument("source", "a task, a scope context or an AbortSignal", source);
}

/** The signal of a checked source. */
export function signalOf(source: AbortSignal | { readonly signal: AbortSignal }): AbortSignal {
  return isAbortSignal(source) ? source : source.signal;
}
