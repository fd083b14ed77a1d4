// Siblings of issue 16's items 5 and 6 in @nursery/timers: deep chains of scopes settle, and a
// deadline already due on entry is never missed.
import { describe, expect, it } from "@jest/globals";
import { TimeoutError, checkpoint, isCancellation } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { deadline, sleep, timeout } from "@nursery/timers";

const DEPTH = 10_000;

describe("timeout and deadline, nested 10,000 deep", () => {
  it.each(["timeout", "deadline"] as const)(
    "10,000 nested %s() scopes cancelled from outside settle without RangeError, innermost cleanup first",
    async (kind) => {
      const clock = new VirtualClock();
      const outer = new AbortController();
      const cleaned: number[] = [];
      let entered = 0;
      const level = (depth: number) => async (signal: AbortSignal): Promise<void> => {
        entered++;
        await Promise.resolve(); // each level enters from a microtask, as real code does
        try {
          if (depth === DEPTH) await sleep(1_000_000, { signal, clock });
          else if (kind === "timeout") await timeout(1_000_000, level(depth + 1), { signal, clock });
          else await deadline(clock.now() + 1_000_000, level(depth + 1), { signal, clock });
        } finally {
          cleaned.push(depth);
        }
      };
      const done = timeout(1_000_000, level(1), { signal: outer.signal, clock });
      while (entered < DEPTH) await new Promise((resolve) => setImmediate(resolve));
      outer.abort(new Error("outer"));
      const err = await done.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).not.toBeInstanceOf(RangeError);
      expect(isCancellation(err)).toBe(true);
      expect(cleaned).toHaveLength(DEPTH);
      expect(cleaned[0]).toBe(DEPTH);
      expect(cleaned[DEPTH - 1]).toBe(1);
    },
    60_000,
  );
});

describe("deadlines due on entry", () => {
  it("timeout(0) cancels fn at its first checkpoint, every time of 100", async () => {
    const clock = new VirtualClock();
    let passed = 0;
    for (let i = 0; i < 100; i++) {
      const result = await timeout(
        0,
        async (signal) => {
          await checkpoint(signal);
          passed++;
          return "passed";
        },
        { clock, onTimeout: "move-on" },
      );
      expect(result).toBeUndefined();
    }
    expect(passed).toBe(0);
  });

  it("deadline() in the past rejects with TimeoutError at fn's first checkpoint, every time of 100", async () => {
    const clock = new VirtualClock();
    await clock.advance(5_000);
    let passed = 0;
    for (let i = 0; i < 100; i++) {
      const result = deadline(clock.now() - 1_000, async (signal) => {
        await checkpoint(signal);
        passed++;
      }, { clock });
      await expect(result).rejects.toBeInstanceOf(TimeoutError);
    }
    expect(passed).toBe(0);
  });

  it("sleep(0) on a signal aborted while fn starts rejects with the reason, every time of 100", async () => {
    const clock = new VirtualClock();
    for (let i = 0; i < 100; i++) {
      const result = timeout(0, (signal) => sleep(0, { signal, clock }), { clock });
      await expect(result).rejects.toBeInstanceOf(TimeoutError);
    }
  });
});
