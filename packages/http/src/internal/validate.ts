// Argument checks, in the one shape every TypeError of this library has:
//   Expected `grace` to be a number >= 0 or Infinity, got `-1` (number)
// The message is built by core's public `invalidArgument`.
import { invalidArgument as invalid } from "@nursery/core";

export { invalidArgument as invalid } from "@nursery/core";

export function checkDuration(name: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw invalid(name, "a number >= 0 or Infinity", value);
  }
  return value;
}

export function checkOptionalFunction<F extends Function>(name: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== "function") throw invalid(name, "a function", value);
  return value as F | undefined;
}

export function checkPath(name: string, value: unknown): string | undefined {
  if (value !== undefined && (typeof value !== "string" || !value.startsWith("/"))) {
    throw invalid(name, 'a path starting with "/"', value);
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
