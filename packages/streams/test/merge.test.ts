import { describe, expect, it } from "@jest/globals";
import { merge } from "@nursery/streams";
import { channel } from "@nursery/streams";
import { collect, countingIterator, deferred, flush, listeners, rejectionOf } from "./support.js";

const reason = new Error("task cancelled");

function forever(label: string) {
  let n = 0;
  return countingIterator<string>(() => Promise.resolve({ done: false, value: `${label}${++n}` }));
}

describe("merge", () => {
  it("yields chunks as they arrive from any source, each source's in order", async () => {
    const a = channel<string>(4);
    const b = channel<string>(4);
    const merged = merge([a, b]);
    const seen: string[] = [];
    const loop = (async () => {
      for await (const chunk of merged) seen.push(chunk);
    })();
    await b.send("b1");
    await flush();
    await a.send("a1");
    await flush();
    await b.send("b2");
    a.close();
    b.close();
    await loop;
    expect(seen).toEqual(["b1", "a1", "b2"]);
  });

  it("pulls at most one chunk ahead from each source", async () => {
    const a = forever("a");
    const b = forever("b");
    const merged = merge([a.iterator, b.iterator]);
    await merged.next();
    await flush();
    // One chunk delivered, and one pulled ahead per source; nothing more until asked.
    expect(a.counts.next + b.counts.next).toBe(3);
    await merged.return();
  });

  it("closes every source once when the consumer stops early", async () => {
    const a = forever("a");
    const b = forever("b");
    for await (const _ of merge([a.iterator, b.iterator])) break;
    expect([a.counts.return, b.counts.return]).toEqual([1, 1]);
  });

  it("closes the other sources when one fails, then rejects with its error", async () => {
    const failure = new Error("source failed");
    const a = forever("a");
    const failing = countingIterator<string>(() => Promise.reject(failure));
    const err = await rejectionOf(collect(merge([a.iterator, failing.iterator])));
    expect(err).toBe(failure);
    expect(a.counts.return).toBe(1);
    expect(failing.counts.return).toBe(0); // it ended by itself
  });

  it("rejects return() with a source's failure that came while no read was waiting", async () => {
    const failure = new Error("source failed");
    const a = forever("a");
    const blocked = deferred<IteratorResult<string>>();
    const failing = countingIterator<string>(() => blocked.promise);
    const merged = merge([a.iterator, failing.iterator]);
    expect(await merged.next()).toEqual({ done: false, value: "a1" });
    await flush();
    blocked.reject(failure);
    await flush();
    expect(await rejectionOf(merged.return())).toBe(failure);
    expect([a.counts.return, failing.counts.return]).toEqual([1, 0]);
  });

  it("rejects with signal.reason when cancelled mid-wait, closing every source once", async () => {
    const blockedA = deferred<IteratorResult<string>>();
    const blockedB = deferred<IteratorResult<string>>();
    const a = countingIterator(() => blockedA.promise);
    const b = countingIterator(() => blockedB.promise);
    const controller = new AbortController();
    const pending = merge([a.iterator, b.iterator], { signal: controller.signal }).next();
    await flush();
    expect(listeners(controller.signal)).toBe(1);
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    expect([a.counts.return, b.counts.return]).toEqual([1, 1]);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("ends at once with no sources", async () => {
    expect(await collect(merge([]))).toEqual([]);
  });

  it("throws the house TypeError for bad sources", () => {
    expect(() => merge(5 as never)).toThrow(new TypeError("Expected `sources` to be an iterable of sources, got `5` (number)"));
    expect(() => merge([[1], 2 as never])).toThrow(/^Expected `sources\[1\]` to be an AsyncIterable/);
  });
});
