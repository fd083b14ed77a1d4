// Small test helpers: promises settled by hand (sync points without sleeps) and a task that waits
// for its signal, then runs a cleanup that logs.
import { getEventListeners } from "node:events";

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Rejects with `signal.reason` when `signal` aborts; never resolves. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

export function listenerCount(signal: AbortSignal): number {
  return getEventListeners(signal, "abort").length;
}

