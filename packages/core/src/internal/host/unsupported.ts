// The error a platform-neutral fallback throws when asked for what only some runtimes have.

/** An `Error` with code `ERR_UNSUPPORTED_RUNTIME` naming what was called, what it needs, and what to do. */
export function unsupportedRuntime(what: string, needs: string, instead: string): Error {
  return Object.assign(new Error(`${what} needs ${needs}, which this runtime does not provide; ${instead}`), {
    code: "ERR_UNSUPPORTED_RUNTIME",
  });
}
