// The one shape of every TypeError the nursery packages throw, public so that adapters built on
// core (ours and other people's) read the same:
//   Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)

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
    else if (value === null || typeof value !== "object") shown = String(value); // symbols and bigints too
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
