// Argument checks in the house shape, so every TypeError of this package reads like core's:
//   Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)
// Core keeps its own copy internal; adapters may use only core's public exports, so the few lines
// are repeated here rather than imported.
import type { Clock } from "@nursery/core";

export function describe(value: unknown): string {
  let shown: string;
  if (typeof value === "string") shown = JSON.stringify(value);
  else if (typeof value === "function") shown = value.name ? `[function ${value.name}]` : "[function]";
  else if (typeof value === "symbol" || typeof value === "bigint") shown = value.toString();
  else if (value === null || typeof value !== "object") shown = String(value);
  else if (Array.isArray(value)) shown = `[array(${value.length})]`;
  else shown = `[object ${(value as { constructor?: { name?: string } }).constructor?.name ?? "null-prototype"}]`;
  const type = value === null ? "null" : typeof value;
  return `\`${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}\` (${type})`;
}

export function invalid(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Expected \`${name}\` to be ${expected}, got ${describe(value)}`);
}

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

export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function" &&
    typeof (value as AbortSignal).removeEventListener === "function"
  );
}

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
