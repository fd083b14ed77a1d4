// Siblings of issue 16's items in @nursery/streams: a real error caused by the reason is not the
// cancellation; an iteration on a task's signal ends with the task; deep chains settle.
import { describe, expect, it } from "@jest/globals";
import { nursery } from "@nursery/core";
import { Readable } from "node:stream";
import { iterate, map, take } from "@nursery/streams";
import { flush, listeners, rejectionOf } from "./support.js";

describe("iterate and a real error caused by the reason", () => {
  it("regression: a source cleanup error whose cause is the reason replaces the cancellation", async () => {
    const controller = new AbortController();
    const reason = new Error("task cancelled");
    const flushFailed = new Error("flush failed during cancel", { cause: reason });
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ done: false, value: 1 }),
        return: () => Promise.reject(flushFailed),
      }),
    };
    const iterator = iterate(source, { signal: controller.signal });
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    controller.abort(reason);
    expect(await rejectionOf(iterator.next())).toBe(flushFailed);
  });

  it("regression: a map call that fails with an error caused by the reason is reported", async () => {
    const controller = new AbortController();
    const reason = new Error("task cancelled");
    const flushFailed = new Error("flush failed during cancel", { cause: reason });
    const iterator = map(
      [1, 2, 3],
      (value, { signal }) =>
        value === 1
          ? value
          : new Promise<number>((_, reject) => signal.addEventListener("abort", () => reject(flushFailed), { once: true })),
      { signal: controller.signal, concurrency: 2 },
    );
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    const pending = iterator.next();
    await flush();
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(flushFailed);
  });
});

describe("iterate on a task's signal, left unfinished when the task returns", () => {
  it("regression: a Node Readable is destroyed and the listener removed when the task returns", async () => {
    const readable = new Readable({ read() {} });
    readable.push("a");
    readable.push("b");
    let signal!: AbortSignal;
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        signal = task.signal;
        const iterator = iterate<Buffer>(readable, { signal: task.signal });
        await iterator.next();
        expect(listeners(task.signal)).toBe(1);
      });
    });
    await flush();
    expect(readable.destroyed).toBe(true);
    expect(listeners(signal)).toBe(0);
  });

  it("regression: a web ReadableStream is cancelled when the task returns", async () => {
    let cancelled = false;
    const stream = new ReadableStream<string>({
      start(c) {
        c.enqueue("a");
        c.enqueue("b");
      },
      cancel() {
        cancelled = true;
      },
    });
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        const iterator = iterate(stream, { signal: task.signal });
        await iterator.next();
      });
    });
    await flush();
    expect(cancelled).toBe(true);
    expect(stream.locked).toBe(false);
  });

  it("regression: a map and a take left unfinished close their source when the task throws", async () => {
    const closed: string[] = [];
    async function* numbers(name: string) {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed.push(name);
      }
    }
    const failure = new Error("expected");
    const outcome = await rejectionOf(
      nursery(async (n) => {
        n.spawn(async ({ signal }) => {
          const mapped = map(numbers("map"), (x) => x * 2, { signal });
          await mapped.next();
          const taken = take(numbers("take"), 10, { signal });
          await taken.next();
          throw failure;
        });
      }),
    );
    expect((outcome as { errors: unknown[] }).errors).toEqual([failure]);
    await flush();
    expect(closed.sort()).toEqual(["map", "take"]);
  });
});

describe("iterate over iterate, 10,000 deep", () => {
  it("regression: the first read and a cancellation from outside settle without RangeError, and the source is closed", async () => {
    const outer = new AbortController();
    let closed = 0;
    let reads = 0;
    const source: AsyncIterableIterator<number> = {
      [Symbol.asyncIterator]: () => source,
      next: () => (reads++ === 0 ? Promise.resolve({ done: false, value: 0 }) : new Promise<never>(() => undefined)),
      return: () => {
        closed++;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
    let chain: AsyncIterator<number> = source;
    for (let i = 0; i < 10_000; i++) chain = iterate(chain as AsyncIterableIterator<number>, { signal: outer.signal });
    expect(await chain.next()).toEqual({ done: false, value: 0 });
    const pending = chain.next();
    await flush();
    const reason = new Error("outer");
    outer.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    await flush();
    expect(closed).toBe(1);
  }, 60_000);
});
