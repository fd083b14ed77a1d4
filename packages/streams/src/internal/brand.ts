// Errors of this package are recognised by a brand (their stable `code`) stored under a registry
// symbol, not by prototype chain, so `instanceof` works across two installed copies of the package.
export const BRAND: unique symbol = Symbol.for("@nursery/streams.error-code") as never;

export function brandOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const code = (value as { [BRAND]?: unknown })[BRAND];
  return typeof code === "string" ? code : undefined;
}

export function brand(cls: { prototype: object }, code: string): void {
  Object.defineProperty(cls.prototype, BRAND, { value: code, enumerable: false });
}
