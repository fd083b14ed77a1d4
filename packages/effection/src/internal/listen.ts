// The one way this package listens to an AbortSignal: one listener, removed by the returned
// function. Every caller removes it when its operation settles, so listener counts on a long-lived
// signal return to baseline (house rule; see effect-and-js.md §5 on O(n^2) listener lists).

/** Calls `onAbort` once when `signal` aborts; returns the remover. `signal` must not be aborted yet. */
export function onAbort(signal: AbortSignal, onAbort: () => void): () => void {
  const listener = (): void => {
    signal.removeEventListener("abort", listener);
    onAbort();
  };
  signal.addEventListener("abort", listener);
  return () => signal.removeEventListener("abort", listener);
}
