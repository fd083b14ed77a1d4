// Argument checks in the house shape shared by every @nursery package, so users can grep for it:
//   Expected `capacity` to be an integer >= 1, got `0` (number)
// The message is built by core's public `invalidArgument`.

export { describeValue } from "@nursery/core";
export { invalidArgument as invalid } from "@nursery/core";
import { invalidArgument as invalid, isAbortSignal } from "@nursery/core";

/** The common options bag: `undefined` or an object. */
export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw invalid(name, "an options object", value);
  }
}

/** `undefined` or an AbortSignal (duck-typed: signals from other realms and polyfills count). */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!isAbortSignal(value)) throw invalid(name, "an AbortSignal", value);
  return value;
}

export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalid(name, "a boolean", value);
  return value;
}

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== "function") throw invalid(name, "a function", value);
}

/** An integer >= `min`, or `Infinity` when `allowInfinity`. */
export function checkCount(name: string, value: unknown, min: number, allowInfinity: boolean): number {
  const ok =
    typeof value === "number" &&
    value >= min &&
    (Number.isSafeInteger(value) || (allowInfinity && value === Infinity));
  if (!ok) throw invalid(name, `an integer >= ${min}${allowInfinity ? " or Infinity" : ""}`, value);
  return value;
}
