// Helpers shared by the core tests. Nothing here sleeps on the real clock: time moves only through
// a VirtualClock, and "let pending callbacks run" means a few setImmediate turns.
import { runInThisContext } from "node:vm";
import type { Clock } from "@nursery/core";

/** Rejects with `signal.reason` when `signal` aborts (one listener, removed on abort). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** Resolves after `ms` on `clock` (a virtual clock in these tests). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise<void>((resolve) => clock.setTimer(ms, resolve));
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise callback and immediate run (`turns` event-loop turns). */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Captures what a promise settles with, without letting it reject unhandled. */
export async function settle<T>(promise: PromiseLike<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Awaits `promise`, expecting a rejection, and returns the rejection value. */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  const result = await settle(promise);
  if (result.ok) throw new Error(`expected a rejection, got a value: ${String(result.value)}`);
  return result.error;
}

/**
 * Records `unhandledRejection` events on the real process while `fn` runs, plus a few turns after.
 * Jest hands each test file a copy of `process` whose events never fire, so the listener goes on the
 * host's process (reached through `vm.runInThisContext`). A self-check first proves the spy sees a
 * deliberately unhandled rejection, so a test using it cannot pass by never hearing anything.
 */
export async function collectUnhandledRejections(fn: () => Promise<void>): Promise<unknown[]> {
  const host = runInThisContext("process") as NodeJS.Process;
  const seen: unknown[] = [];
  const spy = (reason: unknown): void => {
    seen.push(reason);
  };
  host.on("unhandledRejection", spy);
  try {
    const probe = Promise.reject(new Error("spy self-check"));
    await flush(2);
    probe.catch(() => {}); // handled late: jest sees "rejectionHandled" and forgets it
    if (seen.length !== 1) throw new Error("the unhandledRejection spy is not receiving events");
    seen.length = 0;
    await fn();
    await flush(5);
  } finally {
    host.off("unhandledRejection", spy);
  }
  return seen;
}

/** Resolves after `ms` on `clock`; rejects with `signal.reason` (and clears the timer) if `signal` aborts first. */
export function sleepUntil(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimer(timer);
      reject(signal.reason);
    };
    const timer = clock.setTimer(ms, () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
