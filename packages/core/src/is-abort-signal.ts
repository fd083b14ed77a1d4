// The one signal check of every nursery package: its own module, so the argument checks
// (adapter/checks.ts) and onCancel both use it without importing each other.

/**
 * True for anything that behaves as an `AbortSignal`: an `aborted` flag and both listener methods.
 * Duck-typed, so signals from other realms and polyfills count. The one signal check of every
 * nursery package.
 *
 * @example
 * ```ts
 * if (!isAbortSignal(options.signal)) throw invalidArgument("signal", "an AbortSignal", options.signal);
 * ```
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function" &&
    typeof (value as AbortSignal).removeEventListener === "function"
  );
}
