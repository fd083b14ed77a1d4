import { describe, expect, it } from "@jest/globals";
import { getEventListeners } from "node:events";
import { CancelledError, TimeoutError, isCancellation, nursery } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { deadline, sleep, timeout } from "@nursery/timers";

const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

describe("timeout", () => {
  it("resolves with fn's value when fn finishes in time, clearing its timer", async () => {
    const clock = new VirtualClock();
    const result = timeout(1_000, async (signal) => {
      await sleep(999, { signal, clock });
      return "done";
    }, { clock });
    await clock.advance(999);
    await expect(result).resolves.toBe("done");
    expect(clock.pending).toBe(0);
  });

  it("aborts fn's signal with a deadline CancelledError and rejects with TimeoutError when time runs out", async () => {
    const clock = new VirtualClock();
    let inner: unknown;
    const result = timeout(
      1_000,
      async (signal) => {
        try {
          await sleep(5_000, { signal, clock });
        } catch (err) {
          inner = err;
          throw err;
        }
      },
      { clock, name: "lookup" },
    );
    const settled = result.catch((err: unknown) => err);
    await clock.advance(1_000);
    const err = await settled;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: "ERR_TIMEOUT", timeout: 1_000, scope: "lookup", cause: inner });
    expect(inner).toBeInstanceOf(CancelledError);
    expect((inner as CancelledError).reason.source).toBe("deadline");
    expect(clock.pending).toBe(0);
  });

  it('resolves with undefined instead of failing with onTimeout: "move-on"', async () => {
    const clock = new VirtualClock({ autojump: true });
    const result = await timeout(100, (signal) => sleep(5_000, { signal, clock }).then(() => "late"), {
      clock,
      onTimeout: "move-on",
    });
    expect(result).toBeUndefined();
    expect(clock.now()).toBe(100);
  });

  it("rejects fn's own error as is", async () => {
    const boom = new Error("boom");
    await expect(timeout(1_000, () => Promise.reject(boom), { clock: new VirtualClock() })).rejects.toBe(boom);
  });

  it("rejects with the outer cancellation, not a TimeoutError, when the outer signal aborts first, and removes its listener", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const result = timeout(1_000, (signal) => sleep(5_000, { signal, clock }), { signal: controller.signal, clock });
    const reason = new Error("outer");
    controller.abort(reason);
    const err = await result.catch((e: unknown) => e);
    // Core passes a CancelledError reason through as is and wraps any other outer reason in one.
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).reason).toMatchObject({ source: "parent", detail: reason });
    expect(isCancellation(err)).toBe(true);
    expect(listeners(controller.signal)).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it("rejects at once without calling fn when the outer signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort("already");
    let called = false;
    await expect(
      timeout(1_000, () => {
        called = true;
      }, { signal: controller.signal }),
    ).rejects.toMatchObject({ reason: { source: "parent", detail: "already" } }); // core's one rule for an outer cancellation
    expect(called).toBe(false);
  });

  it("rethrows a cancelled task's CancelledError, not a TimeoutError, inside a cancelled nursery", async () => {
    const clock = new VirtualClock();
    let seen: unknown;
    let reason: unknown;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          try {
            await timeout(60_000, (signal) => sleep(120_000, { signal, clock }), task);
          } catch (err) {
            seen = err;
            reason = task.signal.reason;
            throw err;
          }
        });
        await clock.advance(1_000);
        n.cancel();
      },
      { clock },
    );
    expect(seen).toBe(reason);
    expect(seen).toBeInstanceOf(CancelledError);
  });

  it("throws TypeErrors in the house shape for bad arguments", () => {
    expect(() => timeout(-1, () => 1)).toThrow(new TypeError("Expected `ms` to be a number >= 0 or Infinity, got `-1` (number)"));
    expect(() => timeout(1, "x" as never)).toThrow(new TypeError('Expected `fn` to be a function, got `"x"` (string)'));
    expect(() => timeout(1, () => 1, { onTimeout: "ignore" as never })).toThrow(
      new TypeError('Expected `onTimeout` to be "fail" or "move-on", got `"ignore"` (string)'),
    );
    expect(() => timeout(1, () => 1, null as never)).toThrow(new TypeError("Expected `options` to be an options object, got `null` (null)"));
  });
});

describe("deadline", () => {
  it("cancels fn when the clock reaches `at`, reporting the time that was left as the timeout", async () => {
    const clock = new VirtualClock({ now: 10_000 });
    const result = deadline(14_000, (signal) => sleep(60_000, { signal, clock }), { clock });
    const settled = result.catch((err: unknown) => err);
    await clock.advance(3_999);
    expect(clock.pending).toBe(2);
    await clock.advance(1);
    const err = await settled;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ timeout: 4_000 });
    expect(clock.pending).toBe(0);
  });

  it("lets several steps share one deadline", async () => {
    const clock = new VirtualClock({ autojump: true });
    const at = clock.now() + 1_000;
    const log: string[] = [];
    const step = (ms: number) => (signal: AbortSignal) => sleep(ms, { signal, clock }).then(() => log.push(`step ${ms} done at ${clock.now()}`));
    await deadline(at, step(600), { clock });
    const second = await deadline(at, step(600), { clock, onTimeout: "move-on" });
    expect(second).toBeUndefined();
    expect(log).toEqual(["step 600 done at 600"]);
    expect(clock.now()).toBe(1_000);
  });

  it("cancels fn at the clock's next turn when `at` has already passed", async () => {
    const clock = new VirtualClock({ now: 5_000 });
    const result = deadline(1_000, (signal) => sleep(10, { signal, clock }), { clock }).catch((err: unknown) => err);
    await clock.advance(0);
    await expect(result).resolves.toMatchObject({ code: "ERR_TIMEOUT", timeout: 0 });
  });

  it("sets no deadline timer when `at` is Infinity", async () => {
    const clock = new VirtualClock();
    const result = deadline(Infinity, () => "value", { clock });
    expect(clock.pending).toBe(0);
    await expect(result).resolves.toBe("value");
  });

  it("throws a TypeError for an `at` that is not a number", () => {
    expect(() => deadline(NaN, () => 1)).toThrow(new TypeError("Expected `at` to be a number (a time on the clock's scale), got `NaN` (number)"));
    expect(() => deadline("soon" as never, () => 1)).toThrow(TypeError);
  });
});
