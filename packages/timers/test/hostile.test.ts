// Hostile input for @nursery/timers (sleep, interval, timeout, deadline): wrong types, NaN, negative
// and huge numbers, already-aborted signals and cancelled tasks, and re-entrant calls. Each gives a
// TypeError in the house shape or a documented behaviour, never a hang (time is a VirtualClock; a
// promise counts as settled if it did so within a bounded number of event-loop turns) and never
// leftover state (no pending timer, listener counts back to baseline).
import { describe, it, expect } from "@jest/globals";
import { getEventListeners } from "node:events";
import { nursery, onCancel, CancelledError, TimeoutError, type Clock, type TaskContext } from "@nursery/core";
import { VirtualClock, INVALID_ARGUMENT_MESSAGE, expectInvalidArgument, thrown, settledWithin as within, eventLoopTurns as turns, abortedSignal as aborted } from "@nursery/core/testing";
import { sleep, interval, timeout, deadline } from "@nursery/timers";

// Deliberately wrong input: `never` fits any parameter, so the type checker lets it through.
const bad = (value: unknown): never => value as never;
const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

const notNumbers: [string, unknown][] = [
  ["NaN", NaN],
  ["-1", -1],
  ["-Infinity", -Infinity],
  ['"5"', "5"],
  ["null", null],
  ["undefined", undefined],
  ["{}", {}],
  ["10n", 10n],
  ["a Symbol", Symbol("ms")],
];
const notOptions: [string, unknown][] = [["null", null], ["42", 42], ['"opts"', "opts"], ["true", true]];
const notSignals: [string, unknown][] = [["{}", {}], ["an AbortController", new AbortController()], ["true", true], ["null", null]];
const notClocks: [string, unknown][] = [["{}", {}], ["null", null], ["Date", Date], ["{ now, setTimer }", { now: () => 0, setTimer: () => ({}) }]];

describe("timers: hostile arguments", () => {
  it.each([...notNumbers, ["Infinity", Infinity] as [string, unknown]])("sleep(%s) throws a house-shape TypeError and sets no timer", (_label, value) => {
    const clock = new VirtualClock();
    expectInvalidArgument(thrown(() => sleep(bad(value), { clock })), "ms");
    expect(clock.pending).toBe(0);
  });

  it.each([...notNumbers, ["0", 0] as [string, unknown], ["Infinity", Infinity] as [string, unknown]])("interval(%s) throws a house-shape TypeError", (_label, value) => {
    expectInvalidArgument(thrown(() => interval(bad(value))), "ms");
  });

  it.each(notNumbers.filter(([l]) => l !== "undefined"))("timeout(%s) throws a house-shape TypeError without calling fn", (_label, value) => {
    let called = false;
    expectInvalidArgument(thrown(() => timeout(bad(value), () => (called = true))), "ms");
    expect(called).toBe(false);
  });

  it.each([["NaN", NaN], ['"soon"', "soon"], ["null", null], ["undefined", undefined], ["{}", {}]] as [string, unknown][])(
    "deadline(%s) throws a house-shape TypeError without calling fn",
    (_label, value) => {
      let called = false;
      expectInvalidArgument(thrown(() => deadline(bad(value), () => (called = true))), "at");
      expect(called).toBe(false);
    },
  );

  it.each(notOptions)("rejects options of %s in sleep, interval, timeout and deadline", (_label, value) => {
    expectInvalidArgument(thrown(() => sleep(1, bad(value))), "options");
    expectInvalidArgument(thrown(() => interval(1, bad(value))), "options");
    expectInvalidArgument(thrown(() => timeout(1, () => 1, bad(value))), "options");
    expectInvalidArgument(thrown(() => deadline(1, () => 1, bad(value))), "options");
  });

  it.each(notSignals)("rejects a signal of %s and adds no listener", (_label, value) => {
    expectInvalidArgument(thrown(() => sleep(1, bad({ signal: value }))), "signal");
    expectInvalidArgument(thrown(() => interval(1, bad({ signal: value }))), "signal");
    expectInvalidArgument(thrown(() => timeout(1, () => 1, bad({ signal: value }))), "signal");
    if (value instanceof AbortController) expect(listeners(value.signal)).toBe(0);
  });

  it.each(notClocks)("rejects a clock of %s", (_label, value) => {
    expectInvalidArgument(thrown(() => sleep(1, bad({ clock: value }))), "clock");
    expectInvalidArgument(thrown(() => interval(1, bad({ clock: value }))), "clock");
    expectInvalidArgument(thrown(() => deadline(1, () => 1, bad({ clock: value }))), "clock");
  });

  it.each([["fail!", "fail!"], ["true", true], ["null", null]] as [string, unknown][])("rejects onTimeout: %s", (_label, value) => {
    expectInvalidArgument(thrown(() => timeout(1, () => 1, bad({ onTimeout: value }))), "onTimeout");
  });

  it.each([["42", 42], ["null", null], ['"fn"', "fn"], ["{}", {}]] as [string, unknown][])("rejects fn of %s in timeout and deadline", (_label, value) => {
    expectInvalidArgument(thrown(() => timeout(1, bad(value))), "fn");
    expectInvalidArgument(thrown(() => deadline(1, bad(value))), "fn");
  });
});

describe("timers: huge numbers and edges", () => {
  it.each([["2^31", 2 ** 31], ["2^53", 2 ** 53], ["1e300", 1e300], ["Number.MAX_VALUE", Number.MAX_VALUE]] as [string, number][])(
    "sleep(%s) waits (no early fire), and cancelling it clears its timer and listener",
    async (_label, ms) => {
      const clock = new VirtualClock();
      const controller = new AbortController();
      const done = sleep(ms, { signal: controller.signal, clock });
      await clock.advance(2 ** 31 - 1); // just short of the smallest of them, past setTimeout's own limit
      expect((await within(done)).state).toBe("pending");
      expect(listeners(controller.signal)).toBe(1);
      controller.abort("enough");
      expect(await within(done)).toEqual({ state: "rejected", error: "enough" });
      expect(clock.pending).toBe(0);
      expect(listeners(controller.signal)).toBe(0);
    },
  );

  it("sleep(0) and sleep(-0) resolve on the next clock turn; interval(1e300) yields nothing early", async () => {
    const clock = new VirtualClock();
    const zero = sleep(0, { clock });
    const negativeZero = sleep(-0, { clock });
    await clock.advance(0);
    expect(await within(zero)).toEqual({ state: "fulfilled", value: undefined });
    expect(await within(negativeZero)).toEqual({ state: "fulfilled", value: undefined });
    const ticks = interval(1e300, { clock });
    const next = ticks.next();
    await clock.advance(1e6);
    expect((await within(next)).state).toBe("pending");
    await ticks.return();
    expect(await within(next)).toEqual({ state: "fulfilled", value: { done: true, value: undefined } });
    expect(clock.pending).toBe(0);
  });

  it("deadline(-Infinity) is already past: fn's signal aborts at once and it fails with TimeoutError; deadline(Infinity) never does", async () => {
    const clock = new VirtualClock();
    const past = deadline(-Infinity, (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))), { clock });
    await clock.advance(0);
    const result = await within(past);
    expect(result.state).toBe("rejected");
    expect((result as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(await deadline(Infinity, () => "no deadline", { clock })).toBe("no deadline");
    expect(await timeout(Infinity, async () => "none", { clock, onTimeout: "move-on" })).toBe("none");
    expect(clock.pending).toBe(0);
  });
});

describe("timers: already-aborted signals and cancelled tasks", () => {
  it("sleep, interval.next, timeout and deadline reject with the reason itself, doing nothing", async () => {
    const clock = new VirtualClock();
    const reason = new Error("already");
    const signal = aborted(reason);
    let called = 0;
    await expect(sleep(10, { signal, clock })).rejects.toBe(reason);
    const ticks = interval(10, { signal, clock });
    await expect(ticks.next()).rejects.toBe(reason);
    // timeout/deadline are core's scopes: an outer cancellation is a CancelledError wrapping the reason.
    await expect(timeout(10, () => ++called, { signal, clock })).rejects.toMatchObject({ reason: { source: "parent", detail: reason } });
    await expect(deadline(10, () => ++called, { signal, clock })).rejects.toMatchObject({ reason: { source: "parent", detail: reason } });
    expect(called).toBe(0);
    expect(clock.pending).toBe(0);
    expect(listeners(signal)).toBe(0);
  });

  it("sleep(ms, task) of a cancelled task rejects with its CancelledError and sets no timer", async () => {
    const clock = new VirtualClock();
    const seen: unknown[] = [];
    await nursery(
      (n) => {
        n.spawn(async (task) => {
          await new Promise((resolve) => onCancel(task, resolve));
          seen.push(await sleep(5, task).catch((e: unknown) => e));
          seen.push(task.signal.reason);
        });
        n.cancel();
      },
      { clock },
    );
    expect(seen[0]).toBeInstanceOf(CancelledError);
    expect(seen[0]).toBe(seen[1]);
    expect(clock.pending).toBe(0);
  });

  it("a fake task (something with nursery and signal) is rejected in the house shape when its signal is not one", () => {
    const err = thrown(() => sleep(1, bad({ nursery: {}, signal: 5 })));
    expect(err).toBeInstanceOf(TypeError);
    expect((err as TypeError).message).toMatch(INVALID_ARGUMENT_MESSAGE);
  });
});

describe("timers: re-entrant calls and hostile clocks", () => {
  it("sleep() from inside the abort listener of its own signal rejects at once; 1000 sleeps on one signal share one listener", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const signal = controller.signal;
    const all = Array.from({ length: 1000 }, (_, i) => sleep(i + 1, { signal, clock }).catch((e: unknown) => e));
    expect(listeners(signal)).toBe(1);
    let inner: Promise<unknown> | undefined;
    signal.addEventListener("abort", () => {
      inner = sleep(1, { signal, clock }).catch((e: unknown) => e);
    });
    controller.abort("stop");
    const results = await Promise.all(all);
    expect(results.every((r) => r === "stop")).toBe(true);
    expect(await inner).toBe("stop");
    expect(listeners(signal)).toBe(1); // the test's own listener
    expect(clock.pending).toBe(0);
  });

  it("a new sleep on the same signal from a rejected sleep's handler, and aborting from inside a timer callback", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const signal = controller.signal;
    const log: unknown[] = [];
    const first = sleep(10, { signal, clock }).catch(() => sleep(1, { signal, clock }).catch((e: unknown) => log.push(e)));
    clock.setTimer(5, () => controller.abort("from a timer"));
    await clock.runAll();
    await first;
    expect(log).toEqual(["from a timer"]);
    expect(listeners(signal)).toBe(0);
  });

  it("a clock that calls back synchronously from setTimer(0) resolves the sleep and leaves no listener", async () => {
    const syncClock: Clock = {
      now: () => 0,
      setTimer: (ms, callback) => {
        if (ms === 0) callback();
        return {};
      },
      clearTimer: () => {},
    };
    const controller = new AbortController();
    await expect(sleep(0, { clock: syncClock, signal: controller.signal })).resolves.toBeUndefined();
    expect(listeners(controller.signal)).toBe(0);
  });

  it("a clock whose setTimer throws: sleep() throws that error and adds no listener", () => {
    const broken: Clock = { now: () => 0, setTimer: () => { throw new Error("clock broke"); }, clearTimer: () => {} };
    const controller = new AbortController();
    expect(() => sleep(5, { clock: broken, signal: controller.signal })).toThrow("clock broke");
    expect(listeners(controller.signal)).toBe(0);
  });

  it("interval: return() twice, next() after return(), return() during a pending next(), concurrent next() calls", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const ticks = interval(10, { clock, signal: controller.signal });
    const a = ticks.next();
    const b = ticks.next();
    await clock.advance(10);
    expect(await within(a)).toEqual({ state: "fulfilled", value: { done: false, value: { index: 1, scheduledAt: 10, missed: 0 } } });
    const pendingB = await within(b);
    expect(pendingB.state).toBe("pending");
    expect(listeners(controller.signal)).toBe(1);
    await ticks.return();
    await ticks.return();
    expect(await within(b)).toEqual({ state: "fulfilled", value: { done: true, value: undefined } });
    expect(await ticks.next()).toEqual({ done: true, value: undefined });
    expect(clock.pending).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("interval: breaking out of for-await from inside the loop body, and cancelling mid-loop, leave nothing behind", async () => {
    const clock = new VirtualClock({ autojump: true });
    const controller = new AbortController();
    const seen: number[] = [];
    for await (const tick of interval(5, { clock, signal: controller.signal })) {
      seen.push(tick.index);
      if (tick.index === 3) break;
    }
    const err = await (async () => {
      for await (const tick of interval(5, { clock, signal: controller.signal })) {
        if (tick.index === 2) controller.abort("mid-loop");
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1, 2, 3]);
    expect(err).toBe("mid-loop");
    clock.autojump(false);
    expect(clock.pending).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("timeout() inside a timeout() whose deadline already passed rethrows the outer cancellation, not a TimeoutError", async () => {
    const clock = new VirtualClock();
    const outer = timeout(
      5,
      async (signal) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
        return timeout(100, () => "never", { signal, clock });
      },
      { clock },
    );
    await clock.advance(5);
    const result = await within(outer);
    expect(result.state).toBe("rejected");
    const err = (result as { error: TimeoutError }).error;
    expect(err).toBeInstanceOf(TimeoutError); // the outer scope's own deadline
    expect(err.cause).toBeInstanceOf(CancelledError); // what the inner scope rethrew: the outer reason
    expect(clock.pending).toBe(0);
  });

  it("a task that sleeps on itself and cancels its own nursery from the sleep's rejection handler settles the nursery", async () => {
    const clock = new VirtualClock();
    const done = nursery(
      (n) => {
        n.spawn((task: TaskContext) =>
          sleep(5, task).then(
            () => {
              task.nursery.cancel("after sleep");
              return sleep(1_000_000, task);
            },
            () => undefined,
          ),
        );
        return "body";
      },
      { clock },
    );
    await clock.runAll();
    expect(await within(done)).toEqual({ state: "fulfilled", value: "body" });
    expect(clock.pending).toBe(0);
  });
});
