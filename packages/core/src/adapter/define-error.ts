// One way to define an error class of a nursery package: a `name` on the prototype, a stable
// `code`, and an `instanceof` that holds across two installed copies of the package.
//
// Why a brand and not the prototype chain: an application and a library may each bundle their own
// copy of a package, and an error thrown by one copy must still be `instanceof` the other copy's
// class. The brand is the error's code, stored (non-enumerable) under a registry symbol that both
// copies compute alike, `Symbol.for("<scope>.error-code")`, and `instanceof` reads it.
//
// Why a scope per package, not one symbol for all: the scope keeps one package's codes from ever
// matching another's class (a third-party adapter choosing "ERR_TIMEOUT" must not make its errors
// `instanceof` core's TimeoutError), and it keeps the keys the packages used before this kit, so an
// installed older copy is still recognised. See docs/design/decisions/adapter-kit.md.
//
// Hardened: reading the brand never throws. `revokedProxy instanceof HttpError` is false, as is an
// object whose brand getter throws: `instanceof` runs inside `catch` blocks, and throwing there
// would replace the error being handled.

/** The registry symbol under which errors of `scope` (a package name) carry their code. */
export function errorBrandKey(scope: string): symbol {
  return Symbol.for(`${scope}.error-code`);
}

/**
 * The code `value` is branded with under `key`, or `undefined` when it carries none. Never throws,
 * whatever `value` is (a revoked Proxy, an object whose getters throw).
 */
export function readErrorBrand(value: unknown, key: symbol): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  let code: unknown;
  try {
    code = (value as Record<symbol, unknown>)[key];
  } catch {
    return undefined;
  }
  return typeof code === "string" ? code : undefined;
}

/** What {@link defineErrorClass} needs to know about a class. */
export interface ErrorClassSpec {
  /** The package the class belongs to, e.g. `"@nursery/fetch"`; see {@link errorBrandKey}. */
  readonly scope: string;
  /** The `name` every instance shows, e.g. `"HttpError"`. */
  readonly name: string;
  /**
   * The class's stable code, e.g. `"ERR_HTTP_STATUS"`; or, for a class with several codes, all of
   * them: each instance is then branded with its own `code` property, which must be one of them.
   */
  readonly code: string | readonly [string, ...string[]];
}

/**
 * Makes `cls` an error class of the house: sets `name` on its prototype, brands it with its code
 * under its scope's registry symbol, and gives it an `instanceof` that reads the brand (so errors
 * from another installed copy of the package count, and a revoked Proxy is simply not one).
 * Call it once, right after the class. Returns `cls`.
 *
 * @example
 * ```ts
 * export class QuotaError extends Error {
 *   readonly code = "ERR_QUOTA" as const;
 * }
 * defineErrorClass(QuotaError, { scope: "my-adapter", name: "QuotaError", code: "ERR_QUOTA" });
 * ```
 */
export function defineErrorClass<C extends abstract new (...args: never[]) => Error>(cls: C, spec: ErrorClassSpec): C {
  const key = errorBrandKey(spec.scope);
  const codes: readonly string[] = typeof spec.code === "string" ? [spec.code] : spec.code;
  (cls.prototype as Error).name = spec.name;
  Object.defineProperty(
    cls.prototype,
    key,
    typeof spec.code === "string"
      ? { value: spec.code }
      : {
          get(this: { code?: unknown }) {
            return this.code;
          },
        },
  );
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(value: unknown): boolean {
      const code = readErrorBrand(value, key);
      return code !== undefined && codes.includes(code);
    },
  });
  return cls;
}
