// Argument checks: one shape for every TypeError this library throws, so users can grep for it.
//   Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)
// Checks of options that have a default return the value they accepted, so an option is read,
// defaulted and checked in one line: `checkBoolean("exit", options?.exit ?? true)`.
import type { Clock } from "../clock.js";
import { invalidArgument } from "../invalid-argument.js";
import { isAbortSignal } from "../on-cancel.js";

/** Core's own short name for {@link invalidArgument}. */
export const invalid = invalidArgument;

/** A duration in milliseconds: a number >= 0, finite or `Infinity`. */
export function checkDuration(name: string, value: unknown): number {
  // NaN fails `>= 0` too.
  if (typeof value !== "number" || !(value >= 0)) {
    throw invalid(name, "a number >= 0 or Infinity", value);
  }
  return value;
}

/** An optional duration: `Infinity` when undefined (null is not undefined: it is rejected). */
export function checkOptionalDuration(name: string, value: unknown): number {
  return value === undefined ? Infinity : checkDuration(name, value);
}

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== "function") throw invalid(name, "a function", value);
}

export function checkSignal(name: string, value: unknown): void {
  if (!isAbortSignal(value)) throw invalid(name, "an AbortSignal", value);
}

export function checkString(name: string, value: unknown): void {
  if (typeof value !== "string") throw invalid(name, "a string", value);
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw invalid(name, "a boolean", value);
  return value;
}

/** One of two string choices, named in the message as `"a" or "b"`. */
export function checkChoice<A extends string, B extends string>(name: string, value: unknown, a: A, b: B): A | B {
  if (value !== a && value !== b) throw invalid(name, `"${a}" or "${b}"`, value);
  return value as A | B;
}

/** Duck-typed, like signals: a virtual clock from another copy of this package counts. */
export function checkClock(name: string, value: unknown): Clock {
  if (typeof value !== "object" || value === null || typeof (value as Clock).setTimer !== "function") {
    throw invalid(name, "a Clock (now, setTimer, clearTimer)", value);
  }
  return value as Clock;
}

export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw invalid(name, "an options object", value);
  }
}
