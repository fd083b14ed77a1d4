// The cancellation source first (docs/design/decisions/api-cancellation-source.md): take, merge,
// map, pipeline and channel called with a task; and waits that end with their task.
import { describe, expect, it } from "@jest/globals";
import { nursery, type TaskContext } from "@nursery/core";
import { ChannelClosedError, channel, iterate, map, merge, pipeline, take } from "@nursery/streams";
import { cancelReasonOf } from "@nursery/core/adapter";
import { Readable } from "node:stream";
import { collect, flush, rejectionOf } from "./support.js";

async function* naturals(): AsyncGenerator<number> {
  for (let i = 0; ; i++) yield i;
}

describe("streams helpers with the task first", () => {
  it("take(task, source, n), map(task, source, fn), merge(task, sources) read as before", async () => {
    await nursery(async (n) => {
      n.spawn(async (task) => {
        expect(await collect(take(task, naturals(), 3))).toEqual([0, 1, 2]);
        expect(await collect(map(task, [1, 2, 3], (x) => x * 2, { concurrency: 2 }))).toEqual([2, 4, 6]);
        expect((await collect(merge(task, [[1], [2]]))).sort()).toEqual([1, 2]);
        const out: number[] = [];
        await pipeline(task, [1, 2], async (source: AsyncIterable<number>) => {
          for await (const x of source) out.push(x);
        });
        expect(out).toEqual([1, 2]);
      });
    });
  });

  it("ends take/map/merge/pipeline with the task's cancellation reason", async () => {
    const reason = new Error("stop");
    await nursery(async (n) => {
      n.spawn(async (task) => {
        const never = (): AsyncIterable<number> => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) });
        const reads = [
          take(task, never(), 5).next(),
          map(task, never(), (x) => x).next(),
          merge(task, [never()]).next(),
          pipeline(task, never(), async (source: AsyncIterable<number>) => {
            for await (const x of source) void x;
          }),
        ];
        await flush();
        task.cancel(reason);
        const cancelled = cancelReasonOf(task);
        expect(cancelled).toBeDefined();
        for (const read of reads) expect(await rejectionOf(read)).toBe(cancelled);
      });
    });
  });

  it("throws the house TypeError naming `task` for a first argument that is no cancellation source", () => {
    // A source in first place is the deprecated form; anything else is refused by the check of the new form.
    expect(() => take({ signal: 5 } as never, [1], 1)).toThrow("Expected `source`");
    expect(() => map(new AbortController().signal, 5 as never, (x) => x)).toThrow("Expected `source`");
    expect(() => merge(new AbortController().signal, 5 as never)).toThrow("Expected `sources`");
    expect(() => (pipeline as (...a: unknown[]) => Promise<unknown>)(new AbortController().signal, [1])).toThrow("Expected `stages`");
    expect(() => map(new AbortController().signal, [1], (x) => x, { signal: new AbortController().signal } as never)).toThrow(
      "Expected `options.signal` to be left out",
    );
  });
});

describe("waits end with their task", () => {
  it("regression: a send left waiting when its task returns is withdrawn and enqueues nothing", async () => {
    const ch = channel<string>(1);
    await ch.send(new AbortController().signal, "kept");
    let sending: Promise<void> | undefined;
    await nursery(async (n) => {
      n.spawn(async (task: TaskContext) => {
        sending = ch.send(task, "late");
        sending.catch(() => undefined);
      });
    });
    expect(await rejectionOf(sending!)).toBeInstanceOf(ChannelClosedError);
    expect(await ch.receive(new AbortController().signal)).toBe("kept");
    expect(ch.size).toBe(0);
  });

  it("regression: a receive left waiting when its task returns takes no item", async () => {
    const ch = channel<string>(1);
    let receiving: Promise<string> | undefined;
    await nursery(async (n) => {
      n.spawn(async (task: TaskContext) => {
        receiving = ch.receive(task);
        receiving.catch(() => undefined);
      });
    });
    expect(await rejectionOf(receiving!)).toBeInstanceOf(ChannelClosedError);
    await ch.send(new AbortController().signal, "for the next reader");
    expect(ch.size).toBe(1);
  });

  it("regression: a pipeline left running when its task returns tears its stages down", async () => {
    const source = new Readable({ objectMode: true, read() {} });
    source.push(1);
    let running: Promise<unknown> | undefined;
    await nursery(async (n) => {
      n.spawn(async (task: TaskContext) => {
        running = pipeline(task, source, async (source: AsyncIterable<number>) => {
          for await (const x of source) void x;
        });
        running.catch(() => undefined);
        await flush();
      });
    });
    expect(await rejectionOf(running!)).toBeInstanceOf(Error);
    expect(source.destroyed).toBe(true);
  });

  it("regression: iterate(task, ...) over a channel reads nothing after its task returned", async () => {
    const ch = channel<number>(1);
    let reading: Promise<IteratorResult<number, undefined>> | undefined;
    await nursery(async (n) => {
      n.spawn(async (task: TaskContext) => {
        reading = iterate(task, ch).next();
      });
    });
    expect(await reading).toEqual({ done: true, value: undefined });
    await ch.send(new AbortController().signal, 1);
    expect(ch.size).toBe(1);
  });
});
