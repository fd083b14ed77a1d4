// Argument checks for @nursery/timers, in the one shape every TypeError of this project has:
//   Expected `ms` to be a finite number >= 0, got `-1` (number)
// The message is built by core's public `invalidArgument`.
import type { Clock } from "@nursery/core";

export { invalidArgument as invalid } from "@nursery/core";
import { invalidArgument as invalid, isAbortSignal } from "@nursery/core";

/** A delay in ms: a finite number >= 0 (`Infinity` is refused: a sleep that never ends is a bug). */
export function checkDelay(name: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    throw invalid(name, "a finite number >= 0", value);
  }
  return value;
}

/** A period in ms: a finite number > 0 (a zero period would tick in a busy loop). */
export function checkPeriod(name: string, value: unknown): number {
  if (typeof value !== "number" || !(value > 0) || value === Infinity) {
    throw invalid(name, "a finite number > 0", value);
  }
  return value;
}

/** A point in time on a clock's scale: any number but NaN (`Infinity` = never). */
export function checkInstant(name: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw invalid(name, "a number (a time on the clock's scale)", value);
  }
  return value;
}

export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw invalid(name, "an options object", value);
  }
}

export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!isAbortSignal(value)) throw invalid(name, "an AbortSignal", value);
  return value;
}

export function checkClock(name: string, value: unknown, fallback: Clock): Clock {
  if (value === undefined) return fallback;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as Clock).now !== "function" ||
    typeof (value as Clock).setTimer !== "function" ||
    typeof (value as Clock).clearTimer !== "function"
  ) {
    throw invalid(name, "a Clock (with now, setTimer and clearTimer)", value);
  }
  return value as Clock;
}

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== "function") throw invalid(name, "a function", value);
}
