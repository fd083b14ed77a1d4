// The one way this package listens to an AbortSignal: add, and get back the remover. Teardown calls
// the remover; `{ once: true }` is not relied on, since a listener that must be removed on every
// path (settle, error, cancellation) is removed explicitly on each of them.

const noop = (): void => {};

/**
 * Calls `onAbort(signal.reason)` when `signal` aborts. Returns the remover (idempotent). A signal
 * that is already aborted gets no listener: the caller checks `signal.aborted` first.
 */
export function onAbort(signal: AbortSignal, onAbort: (reason: unknown) => void): () => void {
  if (signal.aborted) return noop;
  let listener: (() => void) | undefined = () => {
    remove();
    onAbort(signal.reason);
  };
  const remove = (): void => {
    if (listener === undefined) return;
    signal.removeEventListener("abort", listener);
    listener = undefined;
  };
  signal.addEventListener("abort", listener);
  return remove;
}
