// Core's own errors carry their code under core's registry symbol; the mechanism (and why it is a
// brand, hardened against revoked Proxies) is the adapter kit's, in adapter/define-error.ts.
import { errorBrandKey, readErrorBrand } from "../adapter/define-error.js";

export const BRAND: unique symbol = errorBrandKey("@nursery/core") as never;

export function brandOf(value: unknown): string | undefined {
  return readErrorBrand(value, BRAND);
}
