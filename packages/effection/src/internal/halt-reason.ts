import { CancelledError } from "@nursery/core";

/**
 * The reason given to nursery code when effection ends the scope it lives in. Source `"parent"`:
 * to nursery code, the effection scope is an enclosing scope that went away.
 */
export function haltReason(detail: string): CancelledError {
  return new CancelledError({ source: "parent", detail });
}
