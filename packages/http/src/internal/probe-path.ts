// The paths of the readiness and liveness probes. The message is the adapter kit's TypeError, like
// every other argument check of this package.
import { invalidArgument } from "@nursery/core/adapter";

/** A probe's path (`readiness`, `liveness`): a string starting with "/", or `undefined` for none. */
export function checkProbePath(name: string, value: unknown): string | undefined {
  if (value !== undefined && (typeof value !== "string" || !value.startsWith("/"))) {
    throw invalidArgument(name, 'a path starting with "/"', value);
  }
  return value;
}
