// Argument checks, in the one shape every TypeError of this library has:
//   Expected `grace` to be a number >= 0 or Infinity, got `-1` (number)
// The message is built by core's public `invalidArgument`.
import { constants } from "node:os";

export { describeValue as describe } from "@nursery/core";
export { invalidArgument as invalid, isAbortSignal } from "@nursery/core";
import { invalidArgument as invalid } from "@nursery/core";

export function checkDuration(name: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw invalid(name, "a number >= 0 or Infinity", value);
  }
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw invalid(name, "a boolean", value);
  return value;
}

export function checkSignalName(name: string, value: unknown): NodeJS.Signals {
  if (typeof value !== "string" || !Object.hasOwn(constants.signals, value)) {
    throw invalid(name, 'a signal name such as "SIGTERM"', value);
  }
  return value as NodeJS.Signals;
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalid(name, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`, value);
  }
  return value as T;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
