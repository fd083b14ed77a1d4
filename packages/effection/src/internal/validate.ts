// Argument checks in the one TypeError shape the whole library uses, built by core's public
// `invalidArgument`:
//   Expected `operation` to be a function, got `5` (number)

import { invalidArgument as invalid, isAbortSignal } from "@nursery/core";

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== "function") throw invalid(name, "a function", value);
}

export function checkSignal(name: string, value: unknown): asserts value is AbortSignal {
  if (!isAbortSignal(value)) throw invalid(name, "an AbortSignal", value);
}

export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw invalid(name, "an options object", value);
  }
}

export function checkNursery(name: string, value: unknown): void {
  if (typeof value !== "object" || value === null || typeof (value as { spawn?: unknown }).spawn !== "function") {
    throw invalid(name, "a Nursery", value);
  }
}

export function checkOptionalString(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") throw invalid(name, "a string", value);
}
