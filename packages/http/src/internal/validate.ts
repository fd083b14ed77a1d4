// The argument checks of this package that core's adapter kit does not have. Every other check is
// the kit's (`@nursery/core/adapter`), so the TypeErrors read like every nursery package's:
//   Expected `grace` to be a number >= 0 or Infinity, got `-1` (number)
import { invalidArgument } from "@nursery/core/adapter";

export function checkOptionalFunction<F extends Function>(name: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== "function") throw invalidArgument(name, "a function", value);
  return value as F | undefined;
}

export function checkPath(name: string, value: unknown): string | undefined {
  if (value !== undefined && (typeof value !== "string" || !value.startsWith("/"))) {
    throw invalidArgument(name, 'a path starting with "/"', value);
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
