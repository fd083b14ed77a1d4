// Long-running use on one task signal: listener counts stay bounded while items flow and return to
// baseline afterwards, and nothing leaves a timer behind (this package sets none).
import { describe, expect, it } from "@jest/globals";
import { channel, iterate, map, merge, pipeline, take } from "@nursery/streams";
import { Readable } from "node:stream";
import { listeners } from "./support.js";

const N = 100_000;

/**
 * Tracks the timers nursery's code (core, streams; source-mapped to src/ under jest) sets through
 * the global setTimeout until `stop()`, and returns how many are still pending. Jest's own timers
 * (its reporter's status ticker runs in this process when jest runs in band) are not counted.
 * Wrapping setTimeout, rather than an async hook, keeps promises untracked and the test fast.
 */
function trackTimers(): { stop(): number } {
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  const pending = new Set<unknown>();
  const fromNursery = (): boolean => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 20;
    const stack = new Error().stack ?? "";
    Error.stackTraceLimit = limit;
    return /[\\/]packages[\\/](core|streams)[\\/](dist|src)[\\/]/.test(stack);
  };
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    if (!fromNursery()) return realSet(callback, ms, ...args);
    const timer = realSet(() => {
      pending.delete(timer);
      callback(...args);
    }, ms);
    pending.add(timer);
    return timer;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(timer);
    realClear(timer);
  }) as typeof clearTimeout;
  return {
    stop() {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
      return pending.size;
    },
  };
}

async function* count(n: number) {
  for (let i = 0; i < n; i++) yield i;
}

/** Runs `body` with a fresh task-like signal and checks the signal and timers afterwards. */
async function onOneSignal(body: (signal: AbortSignal, sample: () => void) => Promise<void>): Promise<number> {
  const timers = trackTimers();
  const controller = new AbortController();
  let most = 0;
  let pendingTimers: number;
  try {
    await body(controller.signal, () => {
      most = Math.max(most, listeners(controller.signal));
    });
  } finally {
    pendingTimers = timers.stop();
  }
  expect(listeners(controller.signal)).toBe(0);
  expect(pendingTimers).toBe(0);
  return most;
}

describe("no listener or timer leak after 100k items", () => {
  it("iterate: one listener for a 100k-chunk loop", async () => {
    let seen = 0;
    const most = await onOneSignal(async (signal, sample) => {
      for await (const _ of iterate(count(N), { signal })) if (++seen % 1000 === 0) sample();
    });
    expect(seen).toBe(N);
    expect(most).toBe(1);
  });

  it("iterate: 100k one-chunk loops on one long-lived signal", async () => {
    const most = await onOneSignal(async (signal, sample) => {
      for (let i = 0; i < N; i++) {
        for await (const _ of iterate([i], { signal })) break;
        if (i % 1000 === 0) sample();
      }
    });
    expect(most).toBe(0); // removed before the next loop starts
  });

  it("iterate: 100k chunks from a Node Readable and from a web ReadableStream", async () => {
    let seen = 0;
    const most = await onOneSignal(async (signal, sample) => {
      for await (const _ of iterate(Readable.from(count(N)), { signal })) if (++seen % 1000 === 0) sample();
      for await (const _ of iterate(ReadableStream.from(count(N)), { signal })) if (++seen % 1000 === 0) sample();
    });
    expect(seen).toBe(2 * N);
    expect(most).toBe(1);
  });

  it("channel: 100k items through a one-slot channel, sender and receiver waiting on one signal", async () => {
    const ch = channel<number>(1);
    let received = 0;
    const most = await onOneSignal(async (signal, sample) => {
      const producer = (async () => {
        for (let i = 0; i < N; i++) {
          await ch.send(i, { signal });
          if (i % 1000 === 0) sample();
        }
        ch.close();
      })();
      for await (const _ of iterate(ch, { signal })) if (++received % 1000 === 0) sample();
      await producer;
    });
    expect(received).toBe(N);
    expect(most).toBeLessThanOrEqual(2); // one waiting send + the consumer's loop
  });

  it("map, take and merge over 100k items", async () => {
    let seen = 0;
    const most = await onOneSignal(async (signal, sample) => {
      const doubled = map(count(N), async (n) => n * 2, { concurrency: 8, signal });
      for await (const _ of take(doubled, N, { signal })) if (++seen % 1000 === 0) sample();
      for await (const _ of merge([count(N / 2), count(N / 2)], { signal })) if (++seen % 1000 === 0) sample();
    });
    expect(seen).toBe(2 * N);
    expect(most).toBeLessThanOrEqual(2); // take's loop + map's loop, each one listener
  });

  it("pipeline: 100k chunks", async () => {
    let total = 0;
    const most = await onOneSignal(async (signal, sample) => {
      await pipeline(
        count(N),
        async function* relay(source: AsyncIterable<number>) {
          for await (const n of source) {
            if (n % 1000 === 0) sample();
            yield n;
          }
        },
        async (source: AsyncIterable<number>) => {
          for await (const _ of source) total += 1;
        },
        { signal },
      );
    });
    expect(total).toBe(N);
    expect(most).toBe(1);
  });
});
