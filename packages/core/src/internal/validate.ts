// Argument checks: one shape for every TypeError this library throws, so users can grep for it.
//   Expected `timeout` to be a finite number >= 0, got `-1` (number)

/**
 * Shows a value in a TypeError message: `` `-1` (number) ``, `` `"x"` (string) ``,
 * `` `[object Map]` (object) ``. Never throws, even for a revoked Proxy.
 *
 * @example
 * ```ts
 * describeValue(-1); // "`-1` (number)"
 * ```
 */
export function describeValue(value: unknown): string {
  let shown: string;
  try {
    if (typeof value === "string") shown = JSON.stringify(value);
    else if (typeof value === "function") shown = value.name ? `[function ${value.name}]` : "[function]";
    else if (typeof value === "symbol" || typeof value === "bigint") shown = value.toString();
    else if (value === null || typeof value !== "object") shown = String(value);
    else if (Array.isArray(value)) shown = `[array(${value.length})]`;
    else shown = `[object ${(value as { constructor?: { name?: string } }).constructor?.name ?? "null-prototype"}]`;
  } catch {
    shown = "[unreadable]";
  }
  const type = value === null ? "null" : typeof value;
  return `\`${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}\` (${type})`;
}

/**
 * The TypeError every argument check of the nursery packages throws, in one shape:
 * ``Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)``. For adapter authors,
 * so that their errors read like core's.
 *
 * @example
 * ```ts
 * if (typeof limit !== "number" || limit < 1) throw invalidArgument("limit", "a number >= 1", limit);
 * ```
 */
export function invalidArgument(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Expected \`${name}\` to be ${expected}, got ${describeValue(value)}`);
}

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
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as AbortSignal).aborted !== "boolean" ||
    typeof (value as AbortSignal).addEventListener !== "function"
  ) {
    throw invalid(name, "an AbortSignal", value);
  }
}

export function checkString(name: string, value: unknown): void {
  if (typeof value !== "string") throw invalid(name, "a string", value);
}

export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw invalid(name, "an options object", value);
  }
}
