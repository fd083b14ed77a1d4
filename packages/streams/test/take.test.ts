import { describe, expect, it } from "@jest/globals";
import { iterate, take } from "@nursery/streams";
import { collect, countingIterator, deferred, listeners, rejectionOf } from "./support.js";

const reason = new Error("task cancelled");

function numbers() {
  let n = 0;
  return countingIterator<number>(() => Promise.resolve({ done: false, value: ++n }));
}

describe("take", () => {
  it("yields the first n chunks and closes the source without reading chunk n + 1", async () => {
    const { iterator: source, counts } = numbers();
    expect(await collect(take(source, 3))).toEqual([1, 2, 3]);
    expect(counts).toEqual({ next: 3, return: 1 });
  });

  it("leaves the rest of a source kept open with preventCancel to the next reader", async () => {
    async function* lines() {
      yield "header";
      yield "body 1";
      yield "body 2";
    }
    const source = lines();
    expect(await collect(take(iterate(source, { preventCancel: true }), 1))).toEqual(["header"]);
    expect(await collect(iterate(source))).toEqual(["body 1", "body 2"]);
  });

  it("ends early when the source ends first", async () => {
    expect(await collect(take([1, 2], 5))).toEqual([1, 2]);
  });

  it("closes the source without reading anything for take(0)", async () => {
    const { iterator: source, counts } = numbers();
    expect(await collect(take(source, 0))).toEqual([]);
    expect(counts).toEqual({ next: 0, return: 1 });
  });

  it("rejects with signal.reason when cancelled mid-wait and closes the source once", async () => {
    const blocked = deferred<IteratorResult<number>>();
    const { iterator: source, counts } = countingIterator(() => blocked.promise);
    const controller = new AbortController();
    const pending = take(source, 2, { signal: controller.signal }).next();
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    expect(counts).toEqual({ next: 1, return: 1 });
    expect(listeners(controller.signal)).toBe(0);
  });

  it("throws the house TypeError for a bad count", () => {
    expect(() => take([1], -1)).toThrow(
      new TypeError("Expected `count` to be an integer >= 0 or Infinity, got `-1` (number)"),
    );
    expect(() => take([1], 1.5)).toThrow(TypeError);
  });
});
