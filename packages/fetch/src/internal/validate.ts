// Argument checks in the house shape, so every TypeError of this package reads like core's:
//   Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)
// The message is built by core's public `invalidArgument`.
import type { Clock } from "@nursery/core";

export { describeValue as describe } from "@nursery/core";
export { invalidArgument as invalid } from "@nursery/core";
import { invalidArgument as invalid } from "@nursery/core";

/** A duration in ms: a number >= 0, finite or `Infinity`; `undefined` when absent. */
export function checkDuration(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw invalid(name, "a number >= 0 or Infinity", value);
  }
  return value;
}

/** A count: an integer >= `min`, or `Infinity` when `infinite` allows it. */
export function checkCount(name: string, value: unknown, min: number, infinite: boolean): number {
  if (
    typeof value !== "number" ||
    !(Number.isSafeInteger(value) || (infinite && value === Infinity)) ||
    value < min
  ) {
    throw invalid(name, `an integer >= ${min}${infinite ? " or Infinity" : ""}`, value);
  }
  return value;
}

export { isAbortSignal } from "@nursery/core";
import { isAbortSignal } from "@nursery/core";

export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!isAbortSignal(value)) throw invalid(name, "an AbortSignal", value);
  return value;
}

export function checkClock(name: string, value: unknown): Clock | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) throw invalid(name, "a Clock (now, setTimer, clearTimer)", value);
  const clock = value as Partial<Clock>;
  if (
    typeof clock.now !== "function" ||
    typeof clock.setTimer !== "function" ||
    typeof clock.clearTimer !== "function"
  ) {
    throw invalid(name, "a Clock (now, setTimer, clearTimer)", value);
  }
  return clock as Clock;
}

export function checkObject(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw invalid(name, "an options object", value);
  }
}

export function checkBoolean(name: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== "boolean") throw invalid(name, "a boolean", value);
  return value;
}
