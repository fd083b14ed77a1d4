// Argument checks in the house shape shared by every @nursery package, so users can grep for it:
//   Expected `capacity` to be an integer >= 1, got `0` (number)
// (A copy of core's private helper: adapters use only core's public exports.)

export function describeValue(value: unknown): string {
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
  return new TypeError(`Expected \`${name}\` to be ${expected}, got ${describeValue(value)}`);
}

/** The common options bag: `undefined` or an object. */
export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw invalid(name, "an options object", value);
  }
}

/** `undefined` or an AbortSignal (duck-typed: signals from other realms and polyfills count). */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as AbortSignal).aborted !== "boolean" ||
    typeof (value as AbortSignal).addEventListener !== "function" ||
    typeof (value as AbortSignal).removeEventListener !== "function"
  ) {
    throw invalid(name, "an AbortSignal", value);
  }
  return value as AbortSignal;
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
