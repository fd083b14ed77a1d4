// The one way adapters listen for cancellation. A task passed as the source is listened to
// directly, without creating its AbortSignal: on Node 20 an AbortSignal costs ~4 us to create and
// ~2 us per listener and ~8 us to abort, which dominates a cheap operation like a sleep.
import { isAbortSignal } from "./is-abort-signal.js";
import { signalOwners } from "./internal/signal-owner.js";
import { TaskImpl } from "./internal/task-impl.js";
import { checkFunction, invalid } from "./internal/validate.js";
import type { TaskContext } from "./task.js";

/**
 * Something that can be cancelled: an `AbortSignal`, a task (whose own signal is then not created),
 * or anything with a `signal` (a nursery, an options object).
 */
export type Cancellable = AbortSignal | TaskContext | { readonly signal: AbortSignal };

const noop = (): void => undefined;

function hasSignal(source: unknown): source is { readonly signal: unknown } {
  return typeof source === "object" && source !== null && "signal" in source;
}

/**
 * The reason `source` was cancelled, or `undefined` while it is not. Adapters call it first so an
 * operation on an already-cancelled source rejects at once, doing nothing.
 */
export function cancelReasonOf(source: Cancellable): unknown {
  if (source instanceof TaskImpl) return source.cancelReason;
  if (isAbortSignal(source)) return source.aborted ? source.reason : undefined;
  if (hasSignal(source)) return cancelReasonOf(source.signal);
  throw invalid("source", "an AbortSignal or a task", source);
}

/**
 * Calls `callback(reason)` once when `source` is cancelled and returns a function that removes it;
 * call the remover when the operation settles so listener counts return to baseline. If `source`
 * is already cancelled, `callback` runs at once and the remover does nothing.
 *
 * Pass a task (`onCancel(task, ...)`) rather than `task.signal` where you can: no AbortSignal is
 * created, which is what makes a nursery's sleeps and cancellations cheap.
 *
 * @example
 * ```ts
 * function sleep(ms: number, source: Cancellable): Promise<void> {
 *   return new Promise((resolve, reject) => {
 *     const timer = setTimeout(() => { remove(); resolve(); }, ms);
 *     const remove = onCancel(source, (reason) => { clearTimeout(timer); reject(reason); });
 *   });
 * }
 * ```
 */
export function onCancel(source: Cancellable, callback: (reason: unknown) => void): () => void {
  checkFunction("callback", callback);
  if (source instanceof TaskImpl) {
    const reason = source.cancelReason;
    if (reason !== undefined) {
      callback(reason);
      return noop;
    }
    return source.addHook(callback);
  }
  const signal = isAbortSignal(source) ? source : hasSignal(source) ? source.signal : undefined;
  if (!isAbortSignal(signal)) throw invalid("source", "an AbortSignal or a task", source);
  if (signal.aborted) {
    callback(signal.reason);
    return noop;
  }
  return listen(signal, callback);
}

// The one abort listener of every adapter (see docs/design/decisions/adapter-kit.md):
// - `{ once: true }`: when a signal with n listeners aborts, the dispatch unlinks each one in O(1);
//   a listener removing itself by `removeEventListener` searches the list, O(n^2) in all.
// - the remover does nothing once the listener fired, for the same reason: operations call it when
//   they settle, which after an abort is right after the listener ran.
// - an "abort" event dispatched by hand on a signal that is not aborted re-arms the listener
//   instead of consuming it (with `once`, it would otherwise be gone when the real abort comes).
// - on a task's or a body's signal, a throwing callback is a cleanup error of that task, reported
//   by its nursery. On any other signal there is no owner to tell: the throw goes to EventTarget,
//   which reports it as an uncaught exception (docs/design/decisions/core-cleanup-errors.md).
function listen(signal: AbortSignal, callback: (reason: unknown) => void): () => void {
  let armed = true;
  const owner = signalOwners.get(signal);
  const listener = (): void => {
    if (!signal.aborted) {
      signal.addEventListener("abort", listener, { once: true });
      return;
    }
    armed = false;
    if (owner === undefined) {
      callback(signal.reason);
      return;
    }
    try {
      callback(signal.reason);
    } catch (err) {
      owner.cleanupFailed(err);
    }
  };
  signal.addEventListener("abort", listener, { once: true });
  return () => {
    if (!armed) return;
    armed = false;
    signal.removeEventListener("abort", listener);
  };
}
