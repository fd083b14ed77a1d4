// The one way this package listens to an AbortSignal: add a listener, get back its remover.
// Teardown always calls the remover, so a signal's listener count returns to where it was.

/** Calls `onAbort` once when `signal` aborts; the returned function removes the listener. */
export function listenAbort(signal: AbortSignal, onAbort: () => void): () => void {
  let listening = true;
  const listener = (): void => {
    remove();
    onAbort();
  };
  const remove = (): void => {
    if (!listening) return;
    listening = false;
    signal.removeEventListener("abort", listener);
  };
  signal.addEventListener("abort", listener);
  return remove;
}
