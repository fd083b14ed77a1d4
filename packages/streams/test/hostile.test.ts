// Hostile input for @nursery/streams (channel, iterate, take, map, merge, pipeline): wrong types,
// NaN, negative, fractional and huge counts, already-aborted signals, and re-entrant calls (close
// from inside a receive, return() twice, next() after return(), a source that misbehaves). Each
// gives a TypeError in the house shape or a documented behaviour; never a hang (a promise counts as
// settled if it did so within a bounded number of event-loop turns) and never leftover state (no
// item lost or duplicated, sources closed once, listener counts back to baseline).
import { describe, it, expect } from "@jest/globals";
import { expectInvalidArgument, thrown, settledWithin as within, eventLoopTurns as turns, abortedSignal as aborted } from "@nursery/core/testing";
import { Readable, Writable } from "node:stream";
import { channel, iterate, take, map, merge, pipeline, ChannelClosedError } from "@nursery/streams";
import { countingIterator, listeners } from "./support.js";

// Deliberately wrong input: `never` fits any parameter, so the type checker lets it through.
const bad = (value: unknown): never => value as never;

const notCounts: [string, unknown][] = [
  ["NaN", NaN],
  ["-1", -1],
  ["1.5", 1.5],
  ['"2"', "2"],
  ["null", null],
  ["{}", {}],
  ["2^53 (not a safe integer)", 2 ** 53],
  ["10n", 10n],
];
const notSources: [string, unknown][] = [
  ["undefined", undefined],
  ["null", null],
  ["42", 42],
  ['a string (iterable, but not a stream of items)', "abc"],
  ["{}", {}],
  ["a function", () => [1]],
  ["{ next } without Symbol.asyncIterator", { next: () => Promise.resolve({ done: true }) }],
];
const notOptions: [string, unknown][] = [["null", null], ["42", 42], ['"opts"', "opts"], ["true", true]];
const notSignals: [string, unknown][] = [["{}", {}], ["an AbortController", new AbortController()], ["true", true], ["null", null]];

describe("streams: hostile arguments", () => {
  it.each([...notCounts, ["0", 0] as [string, unknown], ["Infinity", Infinity] as [string, unknown]])("channel(%s) throws a house-shape TypeError", (_label, value) => {
    expectInvalidArgument(thrown(() => channel(bad(value))), "capacity");
  });

  it("channel(2^53 - 1) is accepted: the buffer is not preallocated", async () => {
    const ch = channel<number>(2 ** 53 - 1);
    for (let i = 0; i < 1000; i++) await ch.send(i);
    expect(ch.size).toBe(1000);
  });

  it.each(notCounts)("take(source, %s) throws a house-shape TypeError and reads nothing", (_label, value) => {
    const { iterator, counts } = countingIterator(() => Promise.resolve({ done: false, value: 1 }));
    expectInvalidArgument(thrown(() => take(iterator, bad(value))), "count");
    expect(counts).toEqual({ next: 0, return: 0 });
  });

  it.each([...notCounts, ["0", 0] as [string, unknown]])("map(source, fn, { concurrency: %s }) throws a house-shape TypeError", (_label, value) => {
    expectInvalidArgument(thrown(() => map([1], (x) => x, bad({ concurrency: value }))), "options.concurrency");
  });

  it.each(notSources)("iterate / take / map / merge / pipeline reject a source of %s", (_label, value) => {
    expectInvalidArgument(thrown(() => iterate(bad(value))), "source");
    expectInvalidArgument(thrown(() => take(bad(value), 1)), "source");
    expectInvalidArgument(thrown(() => map(bad(value), (x: unknown) => x)), "source");
    expectInvalidArgument(thrown(() => merge([bad(value)])), "sources[0]");
    // A function is a documented pipeline source (`({ signal }) => iterable`).
    if (typeof value !== "function") expectInvalidArgument(thrown(() => pipeline(bad(value), async () => undefined)), "stages[0]");
  });

  it("merge() rejects a `sources` that is not an iterable of sources; merge([]) ends at once", async () => {
    for (const value of [undefined, null, 5, "ab", {}]) expectInvalidArgument(thrown(() => merge(bad(value))), "sources");
    expect(await merge([]).next()).toEqual({ done: true, value: undefined });
  });

  it("rejects a locked ReadableStream, and a preventCancel that is not a boolean", () => {
    const stream = new ReadableStream();
    stream.getReader();
    expectInvalidArgument(thrown(() => iterate(stream)), "source");
    for (const value of ["yes", 1, null]) expectInvalidArgument(thrown(() => iterate([1], bad({ preventCancel: value }))), "options.preventCancel");
  });

  it.each(notOptions)("rejects options of %s everywhere", async (_label, value) => {
    const ch = channel<number>(1);
    expectInvalidArgument(thrown(() => iterate([1], bad(value))), "options");
    expectInvalidArgument(thrown(() => take([1], 1, bad(value))), "options");
    expectInvalidArgument(thrown(() => map([1], (x) => x, bad(value))), "options");
    expectInvalidArgument(thrown(() => merge([[1]], bad(value))), "options");
    expectInvalidArgument(thrown(() => ch.send(1, bad(value))), "options");
    expectInvalidArgument(thrown(() => ch.receive(bad(value))), "options");
    expect(ch.size).toBe(0);
  });

  it.each(notSignals)("rejects a signal of %s everywhere, enqueuing and consuming nothing", async (_label, value) => {
    const ch = channel<number>(1);
    await ch.send(7);
    expectInvalidArgument(thrown(() => iterate([1], bad({ signal: value }))), "options.signal");
    expectInvalidArgument(thrown(() => take([1], 1, bad({ signal: value }))), "options.signal");
    expectInvalidArgument(thrown(() => map([1], (x) => x, bad({ signal: value }))), "options.signal");
    expectInvalidArgument(thrown(() => merge([[1]], bad({ signal: value }))), "options.signal");
    expectInvalidArgument(thrown(() => ch.send(1, bad({ signal: value }))), "options.signal");
    expectInvalidArgument(thrown(() => ch.receive(bad({ signal: value }))), "options.signal");
    expectInvalidArgument(thrown(() => pipeline([1], async () => undefined, bad({ signal: value }))), "options.signal");
    expect(ch.size).toBe(1);
    expect(await ch.receive()).toBe(7);
  });

  it("rejects map's fn and pipeline's stage list when they are the wrong kind", () => {
    for (const fn of [undefined, null, 5, "f"]) expectInvalidArgument(thrown(() => map([1], bad(fn))), "fn");
    const loose = pipeline as (...stages: unknown[]) => Promise<unknown>;
    expectInvalidArgument(thrown(() => loose([1])), "stages");
    expectInvalidArgument(thrown(() => loose()), "stages");
    expectInvalidArgument(thrown(() => loose([1], 5)), "stages[1]");
    expectInvalidArgument(thrown(() => loose([1], {}, async () => undefined)), "stages[1]");
  });
});

describe("streams: already-aborted signals", () => {
  it("channel send/receive reject with the reason itself, moving no item and adding no listener", async () => {
    const reason = new Error("already");
    const signal = aborted(reason);
    const ch = channel<number>(1);
    await ch.send(1);
    await expect(ch.send(2, { signal })).rejects.toBe(reason);
    await expect(ch.receive({ signal })).rejects.toBe(reason);
    expect(ch.size).toBe(1);
    expect(await ch.receive()).toBe(1);
    expect(listeners(signal)).toBe(0);
  });

  it("iterate / take / map / merge: next() rejects with the reason and the source is closed once, never read", async () => {
    const reason = new Error("already");
    for (const make of [
      (src: AsyncIterable<number>) => iterate(src, { signal: aborted(reason) }),
      (src: AsyncIterable<number>) => take(src, 5, { signal: aborted(reason) }),
      (src: AsyncIterable<number>) => map(src, (x) => x, { signal: aborted(reason) }),
      (src: AsyncIterable<number>) => merge([src], { signal: aborted(reason) }),
    ]) {
      const { iterator, counts } = countingIterator(() => Promise.resolve({ done: false, value: 1 }));
      const it = make(iterator);
      await expect(it.next()).rejects.toBe(reason);
      await it.return();
      expect(counts.next).toBe(0);
      expect(counts.return).toBeLessThanOrEqual(1);
    }
  });

  it("pipeline() with an aborted signal rejects with the reason, starts nothing, and destroys stream stages", async () => {
    const reason = new Error("already");
    const source = Readable.from([1, 2, 3]);
    const sink = new Writable({ objectMode: true, write: (_c, _e, cb) => cb() });
    await expect(pipeline(source, sink, { signal: aborted(reason) })).rejects.toBe(reason);
    expect(source.destroyed).toBe(true);
    expect(sink.destroyed).toBe(true);
  });
});

describe("streams: re-entrant calls and misbehaving sources", () => {
  it("channel: close() twice, close() from inside a receive and a send, receive after close and drain", async () => {
    const ch = channel<number>(1);
    const waiting = ch.receive().then((v) => {
      ch.close();
      ch.close();
      return v;
    });
    await ch.send(1);
    expect(await waiting).toBe(1);
    await expect(ch.send(2)).rejects.toBeInstanceOf(ChannelClosedError);
    await expect(ch.receive()).rejects.toBeInstanceOf(ChannelClosedError);
    const full = channel<number>(1);
    await full.send(1);
    const blocked = full.send(2).catch((e: unknown) => e);
    full.close();
    expect(await blocked).toBeInstanceOf(ChannelClosedError);
    expect(await full.receive()).toBe(1); // buffered items still drain
    expect(full.size).toBe(0);
  });

  it("channel: aborting 50 waiting senders right after a receive freed a slot moves each item at most once", async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const ch = channel<number>(1);
    await ch.send(0);
    const sends = Array.from({ length: 50 }, (_, i) => ch.send(i + 1, { signal }).then(() => `sent ${i + 1}`, (e: unknown) => e));
    expect(listeners(signal)).toBe(50);
    // A receive that, once it has its item, aborts everyone still waiting.
    const first = await ch.receive();
    controller.abort("stop");
    const outcomes = await Promise.all(sends);
    const sent = outcomes.filter((o) => typeof o === "string" && o.startsWith("sent"));
    expect(first).toBe(0);
    expect(sent).toEqual(["sent 1"]); // the freed slot went to the oldest sender, once
    expect(outcomes.filter((o) => o === "stop")).toHaveLength(49);
    expect(ch.size).toBe(1);
    expect(await ch.receive()).toBe(1);
    expect(listeners(signal)).toBe(0);
  });

  it("iterate: return() twice, next() after return(), return() while a next() is pending", async () => {
    let release!: (r: IteratorResult<number>) => void;
    const { iterator, counts } = countingIterator<number>(() => new Promise((resolve) => (release = resolve)));
    const it = iterate(iterator);
    const pending = it.next();
    await turns(2);
    const [r1, r2] = await Promise.all([it.return(), it.return()]);
    expect(r1).toEqual({ done: true, value: undefined });
    expect(r2).toEqual({ done: true, value: undefined });
    expect(await within(pending)).toEqual({ state: "fulfilled", value: { done: true, value: undefined } });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    release({ done: false, value: 99 }); // a late chunk is dropped with the closed source
    await turns(2);
    expect(counts.return).toBe(1);
  });

  it("iterate: aborting from inside the loop body ends the loop with the reason and closes the source once", async () => {
    const controller = new AbortController();
    const { iterator, counts } = countingIterator(() => Promise.resolve({ done: false, value: 1 }));
    let seen = 0;
    const err = await (async () => {
      for await (const _ of iterate(iterator, { signal: controller.signal })) {
        if (++seen === 3) controller.abort("inside");
      }
    })().catch((e: unknown) => e);
    expect(err).toBe("inside");
    expect(seen).toBe(3);
    expect(counts.return).toBe(1);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("iterate: a source whose next() throws synchronously, or returns a non-object, ends the iteration with an error", async () => {
    const throwing = { [Symbol.asyncIterator]: () => ({ next: () => { throw new Error("sync throw"); } }) };
    await expect(iterate(bad(throwing)).next()).rejects.toThrow("sync throw");
    const notAnIterator = { [Symbol.asyncIterator]: () => 5 };
    await expect(iterate(bad(notAnIterator)).next()).rejects.toBeInstanceOf(TypeError);
  });

  it("take(source, 0) closes the source without reading; take(source, Infinity) reads it all", async () => {
    const { iterator, counts } = countingIterator(() => Promise.resolve({ done: false, value: 1 }));
    expect(await take(iterator, 0).next()).toEqual({ done: true, value: undefined });
    expect(counts).toEqual({ next: 0, return: 1 });
    const all: number[] = [];
    for await (const x of take([1, 2, 3], Infinity)) all.push(x);
    expect(all).toEqual([1, 2, 3]);
  });

  it("map: a function that throws synchronously fails the map once; concurrency: Infinity is accepted", async () => {
    const boom = new Error("sync");
    const it = map([1, 2, 3], (x) => {
      if (x === 2) throw boom;
      return x;
    });
    expect(await it.next()).toEqual({ done: false, value: 1 });
    await expect(it.next()).rejects.toBe(boom);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    const results: number[] = [];
    for await (const x of map([1, 2, 3], async (x) => x * 2, { concurrency: Infinity })) results.push(x);
    expect(results).toEqual([2, 4, 6]);
  });

  it("pipeline: a destination that aborts the pipeline's own signal from inside settles it with the reason", async () => {
    const controller = new AbortController();
    const result = await within(
      pipeline(
        [1, 2, 3],
        async (source: AsyncIterable<number>) => {
          for await (const x of source) if (x === 2) controller.abort("from the sink");
        },
        { signal: controller.signal },
      ),
    );
    expect(result).toEqual({ state: "rejected", error: "from the sink" });
    expect(listeners(controller.signal)).toBe(0);
  });
});
