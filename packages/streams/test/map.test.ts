import { describe, expect, it } from "@jest/globals";
import { expectSequence } from "@nursery/core/testing";
import { map } from "@nursery/streams";
import { collect, countingIterator, deferred, flush, listeners, rejectionOf } from "./support.js";

const reason = new Error("task cancelled");

function numbers(count = Infinity) {
  let n = 0;
  return countingIterator<number>(() =>
    Promise.resolve(n < count ? { done: false, value: ++n } : { done: true, value: undefined }),
  );
}

describe("map", () => {
  it("yields results in source order, running up to `concurrency` calls at once", async () => {
    const gates = [deferred(), deferred(), deferred()];
    let running = 0;
    let most = 0;
    const results = collect(
      map(
        [0, 1, 2],
        async (i) => {
          running += 1;
          most = Math.max(most, running);
          await gates[i]?.promise;
          running -= 1;
          return `r${i}`;
        },
        { concurrency: 2 },
      ),
    );
    await flush();
    expect(running).toBe(2);
    gates[1]?.resolve(); // the second finishes first, but keeps its slot until it is delivered
    await flush();
    expect(running).toBe(1);
    gates[0]?.resolve(); // both delivered in order: the third starts
    await flush();
    expect(running).toBe(1);
    gates[2]?.resolve();
    expect(await results).toEqual(["r0", "r1", "r2"]);
    expect(most).toBe(2);
  });

  it("reads no more than `concurrency` chunks ahead of the consumer", async () => {
    const { iterator: source, counts } = numbers();
    const never = new Promise<never>(() => {});
    const mapped = map(source, () => never, { concurrency: 3 });
    void mapped.next();
    await flush();
    expect(counts.next).toBe(3);
  });

  it("aborts the calls in flight, waits for them and closes the source when the consumer stops early", async () => {
    const log: string[] = [];
    const { iterator: source, counts } = numbers();
    const first = deferred();
    const mapped = map(
      source,
      async (n, { signal }) => {
        if (n === 1) {
          await first.promise;
          return n;
        }
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
        log.push(`call ${n} saw abort`);
        return n;
      },
      { concurrency: 3 },
    );
    const head = mapped.next();
    await flush(); // calls 1, 2 and 3 are running
    first.resolve();
    log.push(`got ${String((await head).value)}`);
    await mapped.return(); // what `break` calls
    log.push("after return");
    expectSequence(log, ["got 1", new Set(["call 2 saw abort", "call 3 saw abort"]), "after return"]);
    expect(counts.return).toBe(1);
  });

  it("aborts the other calls and closes the source when a call fails, then rejects with its error", async () => {
    const log: string[] = [];
    const failure = new Error("call failed");
    const { iterator: source, counts } = numbers();
    const err = await rejectionOf(
      collect(
        map(
          source,
          async (n, { signal }) => {
            if (n === 2) throw failure;
            await new Promise<void>((_, reject) =>
              signal.addEventListener("abort", () => {
                log.push(`call ${n} aborted`);
                reject(signal.reason);
              }),
            );
          },
          { concurrency: 2 },
        ),
      ),
    );
    expect(err).toBe(failure);
    expect(log).toEqual(["call 1 aborted"]);
    expect(counts.return).toBe(1);
  });

  it("rejects return() with a call's failure that came while no read was waiting", async () => {
    const failure = new Error("call failed");
    const gate = deferred();
    const { iterator: source, counts } = numbers();
    const mapped = map(
      source,
      async (n) => {
        if (n === 2) {
          await gate.promise;
          throw failure;
        }
        return n;
      },
      { concurrency: 2 },
    );
    expect(await mapped.next()).toEqual({ done: false, value: 1 });
    await flush();
    gate.resolve();
    await flush();
    expect(await rejectionOf(mapped.return())).toBe(failure);
    expect(counts.return).toBe(1);
  });

  it("rejects with signal.reason after the calls in flight settled, and closes the source once", async () => {
    const log: string[] = [];
    const { iterator: source, counts } = numbers();
    const controller = new AbortController();
    const loop = collect(
      map(
        source,
        async (n, { signal }) => {
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
          log.push(`call ${n} settled`);
        },
        { concurrency: 2, signal: controller.signal },
      ),
    ).catch((err: unknown) => {
      log.push(err === reason ? "loop: reason" : "loop: other");
    });
    await flush();
    expect(listeners(controller.signal)).toBe(1);
    controller.abort(reason);
    await loop;
    expectSequence(log, [new Set(["call 1 settled", "call 2 settled"]), "loop: reason"]);
    expect(counts.return).toBe(1);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("rejects at once without calling fn when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort(reason);
    let calls = 0;
    const { iterator: source, counts } = numbers();
    const err = await rejectionOf(collect(map(source, () => calls++, { signal: controller.signal })));
    expect(err).toBe(reason);
    expect(calls).toBe(0);
    expect(counts).toEqual({ next: 0, return: 1 });
  });

  it("rejects with a source error", async () => {
    const failure = new Error("source failed");
    const source = (async function* () {
      yield 1;
      throw failure;
    })();
    expect(await rejectionOf(collect(map(source, (n) => n)))).toBe(failure);
  });

  it("throws the house TypeError for bad arguments", () => {
    expect(() => map([1], 5 as never)).toThrow(new TypeError("Expected `fn` to be a function, got `5` (number)"));
    expect(() => map([1], (n) => n, { concurrency: 0 })).toThrow(
      new TypeError("Expected `options.concurrency` to be an integer >= 1 or Infinity, got `0` (number)"),
    );
    expect(() => map(5 as never, (n) => n)).toThrow(/^Expected `source` to be an AsyncIterable/);
  });
});
