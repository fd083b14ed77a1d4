import { describe, expect, it, jest } from "@jest/globals";
import { getEventListeners } from "node:events";
import { CancelledError, nursery, realClock, type Clock } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { sleep } from "@nursery/timers";

const HOUR = 3_600_000;
const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

/** Records when (on `clock`) and how a promise settled. */
function track(promise: Promise<unknown>, clock: { now(): number }) {
  const state: { outcome: "pending" | "resolved" | "rejected"; at: number; value: unknown } = {
    outcome: "pending",
    at: NaN,
    value: undefined,
  };
  promise.then(
    (value) => Object.assign(state, { outcome: "resolved", at: clock.now(), value }),
    (value: unknown) => Object.assign(state, { outcome: "rejected", at: clock.now(), value }),
  );
  return state;
}

describe("sleep", () => {
  it("resolves with undefined once the delay has passed on the clock, not before", async () => {
    const clock = new VirtualClock();
    const state = track(sleep(1_000, { clock }), clock);
    await clock.advance(999);
    expect(state.outcome).toBe("pending");
    await clock.advance(1);
    expect(state).toEqual({ outcome: "resolved", at: 1_000, value: undefined });
    expect(clock.pending).toBe(0);
  });

  it("resolves on the real clock by default", async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    await expect(sleep(0, { signal: new AbortController().signal })).resolves.toBeUndefined();
  });

  it("waits delays above 2^31-1 ms in full on the real clock instead of firing at once", async () => {
    // setTimeout clamps such delays to 1 ms; realClock chunks them. Fake timers stand in for an
    // 25-day wait (they fake both setTimeout and performance.now, which realClock reads).
    jest.useFakeTimers();
    try {
      const ms = 2 ** 31 + 5_000;
      const state = track(sleep(ms, { clock: realClock }), realClock);
      await jest.advanceTimersByTimeAsync(2 ** 31 - 1);
      expect(state.outcome).toBe("pending");
      await jest.advanceTimersByTimeAsync(5_000);
      expect(state.outcome).toBe("pending");
      await jest.advanceTimersByTimeAsync(1);
      expect(state.outcome).toBe("resolved");
    } finally {
      jest.useRealTimers();
    }
  });

  it("rejects at once with the reason when the signal is already aborted, setting no timer and no listener", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    const promise = sleep(HOUR, { signal: controller.signal, clock });
    expect(clock.pending).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
    await expect(promise).rejects.toBe(reason);
  });

  it("rejects with the signal's reason itself when aborted during the wait, and clears its timer and listener", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const state = track(sleep(HOUR, { signal: controller.signal, clock }), clock);
    expect(clock.pending).toBe(1);
    expect(listeners(controller.signal)).toBe(1);
    await clock.advance(1_000);
    const reason = { custom: "reason" };
    controller.abort(reason);
    await clock.advance(0);
    expect(state.outcome).toBe("rejected");
    expect(state.value).toBe(reason);
    expect(state.at).toBe(1_000);
    expect(clock.pending).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("rejects every sleep on a signal with the same reason object, not a wrapper per call", async () => {
    const controller = new AbortController();
    const sleeps = [sleep(HOUR, { signal: controller.signal }), sleep(2 * HOUR, { signal: controller.signal })];
    controller.abort();
    const outcomes = await Promise.allSettled(sleeps);
    expect(outcomes.map((o) => (o.status === "rejected" ? o.reason : o.status))).toEqual([
      controller.signal.reason,
      controller.signal.reason,
    ]);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBe(controller.signal.reason);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBe(controller.signal.reason);
  });

  it("rejects with the task's CancelledError when its task is cancelled, taking signal and clock from the task", async () => {
    const clock = new VirtualClock();
    let seen: unknown;
    let signalReason: unknown;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          try {
            await sleep(HOUR, task);
          } catch (err) {
            seen = err;
            signalReason = task.signal.reason;
            throw err;
          }
        });
        await clock.advance(60_000);
        n.cancel("enough");
      },
      { clock },
    );
    expect(seen).toBeInstanceOf(CancelledError);
    expect(seen).toBe(signalReason);
    expect(clock.pending).toBe(0);
  });

  it("keeps one shared listener while sleeps overlap and unlinks each as it settles, in any order", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const signal = controller.signal;
    const unrelated = (): void => {};
    signal.addEventListener("abort", unrelated);
    const a = track(sleep(3_000, { signal, clock }), clock);
    const b = track(sleep(1_000, { signal, clock }), clock); // in the middle of the list, settles first
    const c = track(sleep(5_000, { signal, clock }), clock);
    expect(listeners(signal)).toBe(2);
    await clock.advance(1_000);
    expect([a.outcome, b.outcome, c.outcome]).toEqual(["pending", "resolved", "pending"]);
    expect(listeners(signal)).toBe(2);
    await clock.advance(2_000);
    expect([a.outcome, c.outcome]).toEqual(["resolved", "pending"]);
    controller.abort("late");
    await clock.advance(0);
    expect(c).toEqual({ outcome: "rejected", at: 3_000, value: "late" });
    expect(listeners(signal)).toBe(1); // only the unrelated listener is left
    expect(clock.pending).toBe(0);
  });

  it("returns the signal's listener count to baseline after 100k concurrent sleeps on one signal are cancelled", async () => {
    const controller = new AbortController();
    const signal = controller.signal;
    signal.addEventListener("abort", () => {});
    const baseline = listeners(signal);
    const clock = new VirtualClock();
    const sleeps: Promise<void>[] = [];
    for (let i = 0; i < 100_000; i++) sleeps.push(sleep(HOUR + i, { signal, clock }));
    expect(listeners(signal)).toBe(baseline + 1);
    expect(clock.pending).toBe(100_000);
    const reason = new Error("cancel all");
    controller.abort(reason);
    const outcomes = await Promise.allSettled(sleeps);
    expect(outcomes.every((o) => o.status === "rejected" && o.reason === reason)).toBe(true);
    expect(listeners(signal)).toBe(baseline);
    expect(clock.pending).toBe(0);
  }, 30_000); // 100k operations: a safety net on a loaded machine, not a timing check

  it("returns the signal's listener count to baseline after 100k concurrent sleeps on one signal finish", async () => {
    const signal = new AbortController().signal;
    const baseline = listeners(signal);
    const sleeps: Promise<void>[] = [];
    for (let i = 0; i < 100_000; i++) sleeps.push(sleep(i % 3, { signal }));
    expect(listeners(signal)).toBe(baseline + 1);
    await Promise.all(sleeps);
    expect(listeners(signal)).toBe(baseline);
  }, 30_000); // 100k operations: a safety net on a loaded machine, not a timing check

  it("returns the signal's listener count to baseline after 100k sequential sleeps on one signal", async () => {
    // A clock whose timers fire on the next microtask: bookkeeping only, no time involved.
    const instant: Clock = {
      now: () => 0,
      setTimer: (_ms, callback) => {
        const timer = { callback: callback as (() => void) | undefined };
        queueMicrotask(() => timer.callback?.());
        return timer;
      },
      clearTimer: (handle) => {
        (handle as { callback: unknown }).callback = undefined;
      },
    };
    const signal = new AbortController().signal;
    const baseline = listeners(signal);
    let peak = 0;
    for (let i = 0; i < 100_000; i++) {
      const done = sleep(5, { signal, clock: instant });
      peak = Math.max(peak, listeners(signal));
      await done;
    }
    expect(peak).toBe(baseline + 1);
    expect(listeners(signal)).toBe(baseline);
  }, 30_000); // 100k operations: a safety net on a loaded machine, not a timing check

  it("resolves and holds no listener when a custom clock calls back synchronously from setTimer", async () => {
    const sync: Clock = {
      now: () => 0,
      setTimer: (_ms, callback) => {
        callback();
        return {};
      },
      clearTimer: () => {},
    };
    const signal = new AbortController().signal;
    await expect(sleep(0, { signal, clock: sync })).resolves.toBeUndefined();
    expect(listeners(signal)).toBe(0);
  });

  it("ignores an 'abort' event dispatched by hand on a signal that is not aborted", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const state = track(sleep(1_000, { signal: controller.signal, clock }), clock);
    controller.signal.dispatchEvent(new Event("abort"));
    await clock.advance(1_000);
    expect(state.outcome).toBe("resolved");
  });

  it.each([
    [-1, "Expected `ms` to be a finite number >= 0, got `-1` (number)"],
    [NaN, "Expected `ms` to be a finite number >= 0, got `NaN` (number)"],
    [Infinity, "Expected `ms` to be a finite number >= 0, got `Infinity` (number)"],
    [-Infinity, "Expected `ms` to be a finite number >= 0, got `-Infinity` (number)"],
    ["10", 'Expected `ms` to be a finite number >= 0, got `"10"` (string)'],
    [undefined, "Expected `ms` to be a finite number >= 0, got `undefined` (undefined)"],
    [10n, "Expected `ms` to be a finite number >= 0, got `10` (bigint)"],
  ])("throws a TypeError for the delay %p", (ms, message) => {
    expect(() => sleep(ms as number)).toThrow(new TypeError(message));
  });

  it("throws a TypeError for options of the wrong type, before setting a timer", () => {
    const clock = new VirtualClock();
    expect(() => sleep(1, 5 as never)).toThrow(new TypeError("Expected `options` to be an options object, got `5` (number)"));
    expect(() => sleep(1, { signal: {} as AbortSignal, clock })).toThrow(
      new TypeError("Expected `signal` to be an AbortSignal, got `[object Object]` (object)"),
    );
    expect(() => sleep(1, { clock: { now: () => 0 } as never })).toThrow(
      new TypeError("Expected `clock` to be a Clock (now, setTimer, clearTimer), got `[object Object]` (object)"),
    );
    expect(clock.pending).toBe(0);
  });
});
