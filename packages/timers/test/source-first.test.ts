// The cancellation-source-first forms (docs/design/decisions/api-cancellation-source.md).
import { describe, expect, it } from "@jest/globals";
import { getEventListeners } from "node:events";
import { CancelledError, TimeoutError, nursery, type ScopeContext, type StartContext, type TaskContext } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { deadline, interval, sleep, timeout } from "@nursery/timers";

describe("sleep(source, ms)", () => {
  it("waits on the task's clock when given the task, creating no AbortSignal", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const done = nursery(async (n) => {
      n.spawn(async (task) => {
        await sleep(task, 1_000);
        log.push(`woke at ${clock.now()}`);
      });
      await clock.advance(999);
      log.push("999");
      await clock.advance(1);
    }, { clock });
    await done;
    expect(log).toEqual(["999", "woke at 1000"]);
  });

  it("rejects with the task's CancelledError when the task is cancelled during the wait", async () => {
    const clock = new VirtualClock();
    let seen: unknown;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        try {
          await sleep(task, 60_000);
        } catch (err) {
          seen = err;
          throw err;
        }
      });
      await clock.advance(10);
      t.cancel("stop");
    }, { clock });
    expect(seen).toBeInstanceOf(CancelledError);
    expect(clock.pending).toBe(0);
  });

  it("follows an AbortSignal and removes its listener when the wait ends", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const p = sleep(controller.signal, 1_000, { clock });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort(new Error("gone"));
    await expect(p).rejects.toThrow("gone");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    await expect(sleep(controller.signal, 1, { clock })).rejects.toThrow("gone");
    expect(clock.pending).toBe(0);
  });

  it("throws the house TypeError for a source that cannot be cancelled and for a bad delay", () => {
    expect(() => sleep({} as never, 1)).toThrow(
      new TypeError("Expected `source` to be a task, a scope context or an AbortSignal, got `[object Object]` (object)"),
    );
    expect(() => sleep(new AbortController().signal, -1)).toThrow(
      new TypeError("Expected `ms` to be a finite number >= 0, got `-1` (number)"),
    );
  });

  it("issue 17: takes a task or start context, whose type refuses to be awaited, as its source", async () => {
    const clock = new VirtualClock();
    const woke: string[] = [];
    const done = nursery(async (n) => {
      n.spawn(async (task: TaskContext) => {
        await sleep(task, 10);
        woke.push(task.name);
      }, { name: "spawned" });
      await n.start(async (task: StartContext<void>) => {
        task.started();
        await sleep(task, 10);
        woke.push(task.name);
        return { task }; // wrapped: a context itself may not be returned after an await (TS1058)
      }, { name: "started" });
      await clock.advance(10);
    }, { clock });
    await done;
    expect(woke).toEqual(["spawned", "started"]);
  });
});

describe("interval(source, ms)", () => {
  it("ticks on the task's clock and throws the task's cancellation out of the loop", async () => {
    const clock = new VirtualClock();
    const ticks: number[] = [];
    let seen: unknown;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        try {
          for await (const tick of interval(task, 100)) ticks.push(tick.index);
        } catch (err) {
          seen = err;
          throw err;
        }
      });
      await clock.advance(100);
      await clock.advance(100);
      t.cancel();
    }, { clock });
    expect(ticks).toEqual([1, 2]);
    expect(seen).toBeInstanceOf(CancelledError);
    expect(clock.pending).toBe(0);
  });

  it("listens to a task through onCancel: a task whose signal was never read still has no AbortSignal", async () => {
    const clock = new VirtualClock();
    const ticks: number[] = [];
    /** The task's lazily created AbortController, looked up where core keeps it (task-impl.ts). */
    const controllerOf = (task: object): unknown => (task as { extras?: { controller?: unknown } }).extras?.controller;
    let controller: unknown = "unset";
    let seen: unknown;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        try {
          for await (const tick of interval(task, 100)) {
            ticks.push(tick.index);
            controller = controllerOf(task);
          }
        } catch (err) {
          seen = err;
          controller = controllerOf(task);
        }
      });
      await clock.advance(100);
      t.cancel();
    }, { clock });
    expect(ticks).toEqual([1]);
    expect(seen).toBeInstanceOf(CancelledError);
    expect(controller).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it("throws the house TypeError for a zero period", () => {
    expect(() => interval(new AbortController().signal, 0)).toThrow(
      new TypeError("Expected `ms` to be a finite number > 0, got `0` (number)"),
    );
  });
});

describe("timeout(task, ms, fn) and deadline(task, at, fn)", () => {
  it("hand fn a scope context on the task's clock, whose sleeps the deadline cancels", async () => {
    const clock = new VirtualClock();
    const outcomes: unknown[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        outcomes.push(await timeout(task, 100, (scope) => sleep(scope, 50).then(() => "in time")));
        outcomes.push(await timeout(task, 100, (scope) => sleep(scope, 500), { onTimeout: "move-on" }));
        outcomes.push(await deadline(task, task.clock.now() + 100, (scope) => sleep(scope, 500)).catch((e: unknown) => e));
      });
      for (let i = 0; i < 3; i++) await clock.advance(100);
    }, { clock });
    expect(outcomes[0]).toBe("in time");
    expect(outcomes[1]).toBeUndefined();
    expect(outcomes[2]).toBeInstanceOf(TimeoutError);
    expect(clock.pending).toBe(0);
  });

  it("rejects with the task's cancellation, not a TimeoutError, when the task is cancelled", async () => {
    const clock = new VirtualClock();
    let seen: unknown;
    let scopeSeen: ScopeContext | undefined;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        try {
          await timeout(task, 1_000, (scope) => {
            scopeSeen = scope;
            return sleep(scope, 5_000);
          });
        } catch (err) {
          seen = err;
          throw err;
        }
      });
      await clock.advance(10);
      t.cancel();
    }, { clock });
    expect(seen).toBeInstanceOf(CancelledError);
    expect(scopeSeen?.state).toBe("cancelled");
  });

  it("throws the house TypeError for a bad onTimeout and a NaN instant", () => {
    const signal = new AbortController().signal;
    expect(() => timeout(signal, 1, () => 1, { onTimeout: "later" as never })).toThrow(
      new TypeError('Expected `onTimeout` to be "fail" or "move-on", got `"later"` (string)'),
    );
    expect(() => deadline(signal, NaN, () => 1)).toThrow(TypeError);
  });
});
