// Every error class of this library is recognised by a brand stored under a registry symbol, not by
// its prototype chain, so `err instanceof CancelledError` holds even when two copies of
// @nursery/core are installed (a library and an application each bundling their own). The brand is
// the stable `code`, so a brand check is also a code check.
export const BRAND: unique symbol = Symbol.for("@nursery/core.error-code") as never;

export function brandOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  let code: unknown;
  try {
    code = (value as { [BRAND]?: unknown })[BRAND];
  } catch {
    return undefined; // a revoked Proxy or a throwing getter: not one of ours, and `instanceof` must not throw
  }
  return typeof code === "string" ? code : undefined;
}
