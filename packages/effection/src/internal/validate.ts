// Argument checks in the one TypeError shape the whole library uses (core keeps its own copy in its
// internals; adapters may not import those):
//   Expected `operation` to be a function, got `5` (number)

function describe(value: unknown): string {
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

function invalid(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Expected \`${name}\` to be ${expected}, got ${describe(value)}`);
}

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== "function") throw invalid(name, "a function", value);
}

export function checkSignal(name: string, value: unknown): asserts value is AbortSignal {
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as AbortSignal).aborted !== "boolean" ||
    typeof (value as AbortSignal).addEventListener !== "function"
  ) {
    throw invalid(name, "an AbortSignal", value);
  }
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
