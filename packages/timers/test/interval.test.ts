import { describe, expect, it } from "@jest/globals";
import { getEventListeners } from "node:events";
import { nursery, type Clock } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { interval, sleep, type Tick } from "@nursery/timers";

const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

describe("interval", () => {
  it("ticks at start + k * period, the first one period after the call", async () => {
    const clock = new VirtualClock({ now: 500 });
    const ticks = interval(1_000, { clock });
    const log: [number, Tick][] = [];
    for (let i = 0; i < 3; i++) {
      const next = ticks.next();
      await clock.advance(1_000);
      const result = await next;
      if (!result.done) log.push([clock.now(), result.value]);
    }
    expect(log).toEqual([
      [1_500, { index: 1, scheduledAt: 1_500, missed: 0 }],
      [2_500, { index: 2, scheduledAt: 2_500, missed: 0 }],
      [3_500, { index: 3, scheduledAt: 3_500, missed: 0 }],
    ]);
    await ticks.return();
  });

  it("does not drift when each loop body takes part of a period", async () => {
    const clock = new VirtualClock({ autojump: true });
    const at: number[] = [];
    for await (const tick of interval(1_000, { clock })) {
      at.push(clock.now());
      await sleep(300, { clock }); // work that takes 30% of the period
      if (tick.index === 5) break;
    }
    expect(at).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
  });

  it("skips the ticks missed by a slow loop body: one late tick at once, then back on the schedule", async () => {
    const clock = new VirtualClock({ autojump: true });
    const log: string[] = [];
    for await (const tick of interval(1_000, { clock })) {
      log.push(`t=${clock.now()} tick ${tick.index} due ${tick.scheduledAt} missed ${tick.missed}`);
      if (tick.index === 1) await sleep(3_500, { clock }); // overruns ticks 2, 3 and 4's due time
      if (tick.index >= 6) break;
    }
    expect(log).toEqual([
      "t=1000 tick 1 due 1000 missed 0",
      "t=4500 tick 4 due 4000 missed 2", // not 2, 3, 4 back-to-back (no burst)
      "t=5000 tick 5 due 5000 missed 0",
      "t=6000 tick 6 due 6000 missed 0",
    ]);
  });

  it("yields a tick that is due when the consumer returns exactly on a later grid point", async () => {
    const clock = new VirtualClock();
    const ticks = interval(100, { clock });
    await clock.advance(300);
    await expect(ticks.next()).resolves.toEqual({ done: false, value: { index: 3, scheduledAt: 300, missed: 2 } });
    const next = ticks.next();
    await clock.advance(99);
    await clock.advance(1);
    await expect(next).resolves.toEqual({ done: false, value: { index: 4, scheduledAt: 400, missed: 0 } });
  });

  it("counts a grid point that floating-point division puts just below its index as due", async () => {
    // 7 * (1000 / 3) / (1000 / 3) evaluates to 6.999..., which would yield tick 6 now and tick 7
    // straight after it: a burst of two.
    const period = 1_000 / 3;
    const clock = new VirtualClock();
    const ticks = interval(period, { clock });
    await clock.advance(7 * period);
    await expect(ticks.next()).resolves.toEqual({ done: false, value: { index: 7, scheduledAt: 7 * period, missed: 6 } });
    expect(clock.pending).toBe(0);
    const next = ticks.next();
    expect(clock.pending).toBe(1);
    await clock.advance(period);
    await expect(next).resolves.toMatchObject({ value: { index: 8, missed: 0 } });
  });

  it("yields the next tick when a real timer fires a fraction of a millisecond before it is due", async () => {
    // libuv rounds timers to whole milliseconds, so a callback can run while now() < due.
    let now = 0;
    let fire: (() => void) | undefined;
    const early: Clock = {
      now: () => now,
      setTimer: (_ms, callback) => {
        fire = callback;
        return {};
      },
      clearTimer: () => {},
    };
    const ticks = interval(1_000, { clock: early });
    const next = ticks.next();
    now = 999.6;
    fire?.();
    await expect(next).resolves.toEqual({ done: false, value: { index: 1, scheduledAt: 1_000, missed: 0 } });
  });

  it("holds no timer and no listener while the loop body runs, and none after break", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const ticks = interval(1_000, { signal: controller.signal, clock });
    const pending = ticks.next();
    expect([clock.pending, listeners(controller.signal)]).toEqual([1, 1]);
    await clock.advance(1_000);
    await pending;
    expect([clock.pending, listeners(controller.signal)]).toEqual([0, 0]);
    let bodies = 0;
    const run = (async () => {
      for await (const tick of ticks) {
        bodies++;
        if (tick.index === 3) break;
      }
    })();
    await clock.advance(2_000);
    await run;
    expect(bodies).toBe(2);
    expect([clock.pending, listeners(controller.signal)]).toEqual([0, 0]);
    await expect(ticks.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it("resolves a pending next() as done and clears its timer and listener when return() is called", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const ticks = interval(1_000, { signal: controller.signal, clock });
    const pending = ticks.next();
    const queued = ticks.next();
    await expect(ticks.return()).resolves.toEqual({ done: true, value: undefined });
    expect([clock.pending, listeners(controller.signal)]).toEqual([0, 0]);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    await expect(queued).resolves.toEqual({ done: true, value: undefined });
  });

  it("answers next() calls made while one is pending in call order", async () => {
    const clock = new VirtualClock();
    const ticks = interval(10, { clock });
    const results = [ticks.next(), ticks.next(), ticks.next()];
    expect(clock.pending).toBe(1);
    await clock.advance(30);
    expect((await Promise.all(results)).map((r) => r.value?.index)).toEqual([1, 2, 3]);
    await ticks.return();
  });

  it("rejects a pending next() with the signal's reason when it aborts, clearing the timer and listener", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const ticks = interval(1_000, { signal: controller.signal, clock });
    const pending = ticks.next();
    await clock.advance(500);
    const reason = new Error("stop ticking");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect([clock.pending, listeners(controller.signal)]).toEqual([0, 0]);
    await expect(ticks.next()).rejects.toBe(reason); // level-triggered: it stays cancelled
  });

  it("rejects next() at once, setting no timer, when the signal is already aborted", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    controller.abort("gone");
    const ticks = interval(1_000, { signal: controller.signal, clock });
    await expect(ticks.next()).rejects.toBe("gone");
    expect([clock.pending, listeners(controller.signal)]).toEqual([0, 0]);
  });

  it("ends a for-await loop in a task with the task's cancellation when the task is cancelled", async () => {
    const clock = new VirtualClock({ autojump: true });
    const seen: number[] = [];
    let thrown: unknown;
    let reason: unknown;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          try {
            for await (const tick of interval(60_000, task)) seen.push(tick.index);
          } catch (err) {
            thrown = err;
            reason = task.signal.reason;
            throw err;
          }
        });
        await sleep(150_000, { clock });
        n.cancel();
      },
      { clock },
    );
    expect(seen).toEqual([1, 2]);
    expect(thrown).toBe(reason);
    expect(clock.pending).toBe(0);
  });

  it("runs a day of hourly ticks in milliseconds under autojump", async () => {
    const clock = new VirtualClock({ autojump: true });
    const HOUR = 3_600_000;
    let count = 0;
    for await (const tick of interval(HOUR, { clock })) {
      expect(tick.scheduledAt).toBe(tick.index * HOUR);
      if (++count === 24) break;
    }
    expect(clock.now()).toBe(24 * HOUR);
  });

  it.each([
    [0, "Expected `ms` to be a finite number > 0, got `0` (number)"],
    [-5, "Expected `ms` to be a finite number > 0, got `-5` (number)"],
    [NaN, "Expected `ms` to be a finite number > 0, got `NaN` (number)"],
    [Infinity, "Expected `ms` to be a finite number > 0, got `Infinity` (number)"],
    ["1000", 'Expected `ms` to be a finite number > 0, got `"1000"` (string)'],
  ])("throws a TypeError for the period %p", (ms, message) => {
    expect(() => interval(ms as number)).toThrow(new TypeError(message));
  });

  it("throws a TypeError for options of the wrong type", () => {
    expect(() => interval(10, { signal: "no" as never })).toThrow(
      new TypeError('Expected `signal` to be an AbortSignal, got `"no"` (string)'),
    );
  });
});
