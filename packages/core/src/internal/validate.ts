// Argument checks: one shape for every TypeError this library throws, so users can grep for it.
//   Expected `timeout` to be a finite number >= 0, got `-1` (number)

import { invalidArgument } from "../invalid-argument.js";
import { isAbortSignal } from "../on-cancel.js";

/** Core's own short name for {@link invalidArgument}. */
export const invalid = invalidArgument;

/** A duration in milliseconds: a number >= 0, finite or `Infinity`. */
export function checkDuration(name: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw invalid(name, "a number >= 0 or Infinity", value);
  }
  return value;
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

export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw invalid(name, "an options object", value);
  }
}
