import { afterEach, describe, expect, it } from "@jest/globals";
import { CancelledError, nursery } from "@nursery/core";
import { expectSequence, spawnFixture, type Fixture } from "@nursery/core/testing";
import { join } from "node:path";
import { iterate } from "@nursery/streams";
import {
  collect,
  countingIterator,
  deferred,
  flush,
  listeners,
  rejectionOf,
  testReadable,
  testReadableStream,
} from "./support.js";

const reason = new Error("task cancelled");

const fixtures: Fixture[] = [];
afterEach(() => {
  for (const fixture of fixtures.splice(0)) fixture.kill();
});

describe("iterate over an async generator", () => {
  it("yields every chunk, then ends and removes its listener", async () => {
    async function* numbers() {
      yield 1;
      yield 2;
    }
    const controller = new AbortController();
    const iterator = iterate(numbers(), { signal: controller.signal });
    expect(listeners(controller.signal)).toBe(0);
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    expect(listeners(controller.signal)).toBe(1);
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(listeners(controller.signal)).toBe(0);
  });

  it("runs the generator's finally when the task is cancelled mid-chunk", async () => {
    const log: string[] = [];
    async function* source() {
      try {
        for (let i = 1; ; i++) {
          log.push(`yield ${i}`);
          yield i;
        }
      } finally {
        log.push("finally");
      }
    }
    const controller = new AbortController();
    const err = await rejectionOf(
      (async () => {
        for await (const chunk of iterate(source(), { signal: controller.signal })) {
          log.push(`body ${chunk}`);
          controller.abort(reason);
          log.push("body after abort");
        }
      })(),
    );
    log.push("loop ended");
    expect(err).toBe(reason);
    // return() is called at the abort; the generator's finally runs one microtask later (it awaits
    // at its yield), and the loop's next next() waits for it before rejecting.
    expectSequence(log, ["yield 1", "body 1", "body after abort", "finally", "loop ended"]);
  });

  it("ends at once while the generator is blocked in an await it cannot interrupt", async () => {
    const log: string[] = [];
    const blocker = deferred();
    async function* source() {
      try {
        yield "first";
        log.push("blocked");
        await blocker.promise;
        log.push("unblocked");
        yield "late";
        log.push("after late yield");
      } finally {
        log.push("finally");
      }
    }
    const controller = new AbortController();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const chunk of iterate(source(), { signal: controller.signal })) seen.push(chunk);
    })();
    await flush();
    expect(log).toEqual(["blocked"]);
    controller.abort(reason);
    expect(await rejectionOf(loop)).toBe(reason);
    expect(listeners(controller.signal)).toBe(0);
    log.push("loop ended");
    blocker.resolve();
    await flush();
    // return() was queued behind the pending next(): the generator resumes at its yield with a
    // return, so code after the yield never runs, and the late chunk is never yielded.
    expectSequence(log, ["blocked", "loop ended", "unblocked", "finally"]);
    expect(seen).toEqual(["first"]);
  });

  it("ends with the reason when the generator honours the signal itself", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    async function* source(signal: AbortSignal) {
      try {
        yield 1;
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      } finally {
        log.push("finally");
      }
    }
    const loop = (async () => {
      for await (const _ of iterate(source(controller.signal), { signal: controller.signal })) log.push("chunk");
    })().catch((err: unknown) => log.push(err === reason ? "loop: reason" : "loop: other"));
    await flush();
    controller.abort(reason);
    await loop;
    await flush();
    expectSequence(log, ["chunk", new Set(["finally", "loop: reason"])]);
  });

  it("rejects at once without reading when the signal is already aborted, and closes the generator", async () => {
    const log: string[] = [];
    async function* source() {
      log.push("started");
      yield 1;
    }
    const generator = source();
    const controller = new AbortController();
    controller.abort(reason);
    const iterator = iterate(generator, { signal: controller.signal });
    expect(await rejectionOf(iterator.next())).toBe(reason);
    expect(listeners(controller.signal)).toBe(0);
    expect(log).toEqual([]);
    // Closed before it ever ran: it can no longer be started.
    expect(await generator.next()).toEqual({ done: true, value: undefined });
  });

  it("keeps rejecting with the reason after a cancellation (level-triggered)", async () => {
    const { iterator: source } = countingIterator(() => Promise.resolve({ done: false, value: 1 }));
    const controller = new AbortController();
    const iterator = iterate(source, { signal: controller.signal });
    await iterator.next();
    controller.abort(reason);
    expect(await rejectionOf(iterator.next())).toBe(reason);
    expect(await rejectionOf(iterator.next())).toBe(reason);
    expect(await iterator.return()).toEqual({ done: true, value: undefined });
  });

  it("replaces the cancellation with a real error from the generator's cleanup when it was idle", async () => {
    const cleanupError = new Error("cleanup failed");
    async function* source() {
      try {
        yield 1;
        yield 2;
      } finally {
        // eslint-disable-next-line no-unsafe-finally -- the failing cleanup under test
        throw cleanupError;
      }
    }
    const controller = new AbortController();
    const err = await rejectionOf(
      (async () => {
        for await (const _ of iterate(source(), { signal: controller.signal })) controller.abort(reason);
      })(),
    );
    expect(err).toBe(cleanupError);
  });

  it("raises a cleanup error of a generator abandoned mid-read as an unhandled rejection", async () => {
    // Jest turns unhandled rejections into test failures, so this runs in a child process.
    const fixture = spawnFixture(join(__dirname, "fixtures", "detached-cleanup-error.mjs"));
    fixtures.push(fixture);
    const { code, stdout } = await fixture.exited;
    expect(stdout.trim().split("\n")).toEqual([
      "loop ended: task cancelled",
      "unhandledRejection: late cleanup failed",
    ]);
    expect(code).toBe(0);
  });

  it("hands a chunk that arrived after a cancelled read to the next iterate() of the generator (preventCancel)", async () => {
    const blocker = deferred();
    async function* source() {
      yield 1;
      await blocker.promise;
      yield 2;
      yield 3;
    }
    const generator = source();
    const first = new AbortController();
    const iterator = iterate(generator, { signal: first.signal, preventCancel: true });
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    const pending = iterator.next();
    first.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    blocker.resolve(); // the pending next() now takes 2 from the generator: it must not be lost
    expect(await collect(iterate(generator))).toEqual([2, 3]);
  });
});

describe("iterate closes the source exactly once", () => {
  const forever = () => countingIterator(() => Promise.resolve({ done: false, value: "chunk" }));

  it("calls return() once when the loop breaks", async () => {
    const { iterator: source, counts } = forever();
    for await (const _ of iterate(source)) break;
    expect(counts).toEqual({ next: 1, return: 1 });
  });

  it("calls return() once when cancelled mid-chunk and the loop then breaks", async () => {
    const { iterator: source, counts } = forever();
    const controller = new AbortController();
    for await (const _ of iterate(source, { signal: controller.signal })) {
      controller.abort(reason);
      break;
    }
    expect(counts.return).toBe(1);
  });

  it("calls return() once when cancelled mid-wait, even if return() is called again", async () => {
    const blocked = deferred<IteratorResult<string>>();
    const { iterator: source, counts } = countingIterator(() => blocked.promise);
    const controller = new AbortController();
    const iterator = iterate(source, { signal: controller.signal });
    const pending = iterator.next();
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    await iterator.return();
    await iterator[Symbol.asyncDispose]();
    expect(counts).toEqual({ next: 1, return: 1 });
  });

  it("ends a pending read with done and closes the source once when return() is called during it", async () => {
    const blocked = deferred<IteratorResult<string>>();
    const { iterator: source, counts } = countingIterator(() => blocked.promise);
    const iterator = iterate(source);
    const pending = iterator.next();
    expect(await iterator.return()).toEqual({ done: true, value: undefined });
    expect(await pending).toEqual({ done: true, value: undefined });
    await iterator.return();
    expect(counts).toEqual({ next: 1, return: 1 });
  });

  it("does not close a source that ended by itself", async () => {
    let n = 0;
    const { iterator: source, counts } = countingIterator(() =>
      Promise.resolve(n++ < 2 ? { done: false, value: n } : { done: true, value: undefined }),
    );
    expect(await collect(iterate(source))).toEqual([1, 2]);
    expect(counts.return).toBe(0);
  });

  it("rejects with a source's error and does not close it again", async () => {
    const failure = new Error("source failed");
    const { iterator: source, counts } = countingIterator(() => Promise.reject(failure));
    const controller = new AbortController();
    expect(await rejectionOf(collect(iterate(source, { signal: controller.signal })))).toBe(failure);
    expect(counts.return).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("closes the source on return() before the first read (iterate owns it)", async () => {
    const { iterator: source, counts } = forever();
    const iterator = iterate(source);
    await iterator.return();
    expect(counts).toEqual({ next: 0, return: 1 });
  });

  it("ends with its task: a nursery cancelled while a child is blocked in the loop", async () => {
    const blocked = deferred<IteratorResult<string>>();
    const { iterator: source, counts } = countingIterator(() => blocked.promise);
    const log: string[] = [];
    await nursery(async (n) => {
      n.spawn(async ({ signal }) => {
        try {
          for await (const _ of iterate(source, { signal })) log.push("chunk");
        } finally {
          log.push("loop ended");
        }
      });
      await flush();
      n.cancel();
    });
    expect(log).toEqual(["loop ended"]);
    expect(counts).toEqual({ next: 1, return: 1 });
  });
});

describe("iterate over a Node Readable", () => {
  it("yields chunks in order and ends with the stream, in paused mode", async () => {
    const producer = testReadable();
    producer.push("a");
    producer.push("b");
    producer.end();
    expect(await collect(iterate(producer.stream))).toEqual(["a", "b"]);
    expect(producer.stream.readableFlowing).not.toBe(true);
  });

  it("ends with the reason when cancelled mid-wait and destroys the stream once", async () => {
    const producer = testReadable();
    const controller = new AbortController();
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const chunk of iterate(producer.stream, { signal: controller.signal })) seen.push(chunk);
    })();
    producer.push("a");
    await flush();
    expect(seen).toEqual(["a"]); // and the loop now waits on an empty stream
    controller.abort(reason);
    expect(await rejectionOf(loop)).toBe(reason);
    expect(producer.destroyCount).toBe(1);
    expect(producer.stream.destroyed).toBe(true);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("takes nothing from the stream when a waiting read is cancelled (preventCancel)", async () => {
    const producer = testReadable();
    const controller = new AbortController();
    const first = iterate(producer.stream, { signal: controller.signal, preventCancel: true });
    const pending = first.next();
    await flush();
    expect(producer.log).toContain("read"); // the read is waiting for data
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    producer.push("late");
    await flush();
    expect(producer.stream.readableLength).toBe(1); // still in the stream, not in our hands
    producer.end();
    expect(await collect(iterate(producer.stream))).toEqual(["late"]);
    expect(producer.destroyCount).toBe(1); // by autoDestroy at the end, not by the cancellation
  });

  it("leaves buffered chunks in the stream when cancelled mid-chunk (preventCancel)", async () => {
    const producer = new (await import("node:stream")).Readable({ objectMode: true, read() {} });
    for (const chunk of ["a", "b", "c"]) producer.push(chunk);
    producer.push(null);
    const controller = new AbortController();
    const err = await rejectionOf(
      (async () => {
        for await (const _ of iterate(producer, { signal: controller.signal, preventCancel: true })) controller.abort(reason);
      })(),
    );
    expect(err).toBe(reason);
    expect(producer.destroyed).toBe(false);
    expect(await collect(iterate(producer))).toEqual(["b", "c"]);
  });

  it("destroys the stream once when cancelled mid-chunk", async () => {
    const producer = testReadable();
    producer.push("a");
    const controller = new AbortController();
    const seen: unknown[] = [];
    const err = await rejectionOf(
      (async () => {
        for await (const chunk of iterate(producer.stream, { signal: controller.signal })) {
          seen.push(chunk);
          controller.abort(reason);
          producer.push("b"); // arrives mid-chunk, must not be yielded
        }
      })(),
    );
    expect(err).toBe(reason);
    expect(seen).toEqual(["a"]);
    expect(producer.destroyCount).toBe(1);
  });

  it("rejects with the stream's error", async () => {
    const producer = testReadable();
    const failure = new Error("disk on fire");
    const loop = collect(iterate(producer.stream));
    await flush();
    producer.stream.destroy(failure);
    expect(await rejectionOf(loop)).toBe(failure);
  });

  it("replaces the cancellation with a failing _destroy's error", async () => {
    const destroyError = new Error("close failed");
    const producer = testReadable({ destroyError });
    const controller = new AbortController();
    const loop = collect(iterate(producer.stream, { signal: controller.signal }));
    await flush();
    controller.abort(reason);
    expect(await rejectionOf(loop)).toBe(destroyError);
  });
});

describe("iterate over a web ReadableStream", () => {
  it("yields chunks in order, ends with the stream and releases its lock", async () => {
    const producer = testReadableStream<string>();
    producer.enqueue("a");
    producer.enqueue("b");
    producer.close();
    expect(await collect(iterate(producer.stream))).toEqual(["a", "b"]);
    expect(producer.stream.locked).toBe(false);
  });

  it("cancels the stream once with signal.reason when cancelled mid-wait", async () => {
    const producer = testReadableStream<string>();
    const controller = new AbortController();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const chunk of iterate(producer.stream, { signal: controller.signal })) seen.push(chunk);
    })();
    producer.enqueue("a");
    await flush();
    expect(seen).toEqual(["a"]);
    controller.abort(reason);
    expect(await rejectionOf(loop)).toBe(reason);
    await flush();
    expect(producer.cancelReasons).toEqual([reason]);
    expect(producer.stream.locked).toBe(false);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("cancels the stream once when cancelled mid-chunk", async () => {
    const producer = testReadableStream<string>();
    producer.enqueue("a");
    producer.enqueue("b");
    const controller = new AbortController();
    const seen: string[] = [];
    const err = await rejectionOf(
      (async () => {
        for await (const chunk of iterate(producer.stream, { signal: controller.signal })) {
          seen.push(chunk);
          controller.abort(reason);
        }
      })(),
    );
    expect(err).toBe(reason);
    expect(seen).toEqual(["a"]);
    expect(producer.cancelReasons).toEqual([reason]);
  });

  it("takes nothing from the stream when a waiting read is cancelled (preventCancel)", async () => {
    const producer = testReadableStream<string>();
    const controller = new AbortController();
    const first = iterate(producer.stream, { signal: controller.signal, preventCancel: true });
    const pending = first.next();
    await flush();
    expect(producer.log).toContain("pull");
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    expect(producer.stream.locked).toBe(false);
    producer.enqueue("late");
    producer.close();
    expect(await collect(iterate(producer.stream))).toEqual(["late"]);
    expect(producer.cancelReasons).toEqual([]);
  });

  it("rejects with the stream's error and releases its lock", async () => {
    const producer = testReadableStream<string>();
    const failure = new Error("network down");
    const loop = collect(iterate(producer.stream));
    await flush();
    producer.error(failure);
    expect(await rejectionOf(loop)).toBe(failure);
    expect(producer.stream.locked).toBe(false);
  });

  it("replaces the cancellation with the stream's cancel error when it was idle", async () => {
    const cancelError = new Error("cancel failed");
    const producer = testReadableStream<string>({ cancelError });
    producer.enqueue("a");
    const controller = new AbortController();
    const err = await rejectionOf(
      (async () => {
        for await (const _ of iterate(producer.stream, { signal: controller.signal })) controller.abort(reason);
      })(),
    );
    expect(err).toBe(cancelError);
  });
});

describe("iterate over a sync iterable", () => {
  it("yields its values, awaiting promises like for await", async () => {
    expect(await collect(iterate([1, Promise.resolve(2), 3]))).toEqual([1, 2, 3]);
  });

  it("stops between values when cancelled and closes the iterator", async () => {
    const log: string[] = [];
    function* numbers() {
      try {
        yield 1;
        yield 2;
      } finally {
        log.push("finally");
      }
    }
    const controller = new AbortController();
    const err = await rejectionOf(
      (async () => {
        for await (const n of iterate(numbers(), { signal: controller.signal })) {
          log.push(`got ${n}`);
          controller.abort(reason);
        }
      })(),
    );
    expect(err).toBe(reason);
    expect(log).toEqual(["got 1", "finally"]);
  });
});

describe("iterate input checks", () => {
  it.each([
    [42, "Expected `source` to be an AsyncIterable, Iterable, Node Readable or web ReadableStream, got `42` (number)"],
    [null, "Expected `source` to be an AsyncIterable, Iterable, Node Readable or web ReadableStream, got `null` (null)"],
    ["abc", 'Expected `source` to be an AsyncIterable, Iterable, Node Readable or web ReadableStream, got `"abc"` (string)'],
    [{}, "Expected `source` to be an AsyncIterable, Iterable, Node Readable or web ReadableStream, got `[object Object]` (object)"],
  ])("throws the house TypeError for source %p", (source, message) => {
    expect(() => iterate(source as never)).toThrow(new TypeError(message));
  });

  it("throws for a locked web stream", () => {
    const stream = new ReadableStream();
    stream.getReader();
    expect(() => iterate(stream)).toThrow(
      new TypeError("Expected `source` to be an unlocked ReadableStream, got `[object ReadableStream]` (object)"),
    );
  });

  it("throws for a bad signal or preventCancel", () => {
    expect(() => iterate([], { signal: "no" as never })).toThrow(
      new TypeError('Expected `options.signal` to be an AbortSignal, got `"no"` (string)'),
    );
    expect(() => iterate([], { preventCancel: 1 as never })).toThrow(
      new TypeError("Expected `options.preventCancel` to be a boolean, got `1` (number)"),
    );
  });
});

describe("iterate(task, source)", () => {
  it("ends with the task's cancellation and closes the source, the task given first", async () => {
    const closed: string[] = [];
    async function* numbers() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed.push("closed");
      }
    }
    let seen: unknown;
    const got: number[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        try {
          for await (const x of iterate(task, numbers())) {
            got.push(x);
            if (x === 2) task.cancel();
          }
        } catch (err) {
          seen = err;
          throw err;
        }
      });
    });
    expect(got).toEqual([0, 1, 2]);
    expect(seen).toBeInstanceOf(CancelledError);
    expect(closed).toEqual(["closed"]);
  });

  it("throws the house TypeError for a first argument that cannot be cancelled", () => {
    expect(() => iterate({} as never, [1, 2])).toThrow(
      new TypeError("Expected `task` to be a task, a scope context or an AbortSignal, got `[object Object]` (object)"),
    );
  });
});
