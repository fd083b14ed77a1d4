// Hostile input for @nursery/effection (spawnOperation, runOperation, useNursery, callWithSignal):
// wrong types, already-aborted signals, bad nursery options reaching the resource, and re-entrant
// calls (the operation aborts its own signal while starting, halts twice, cancels its own nursery).
// Each gives a TypeError in the house shape or a documented behaviour; never a hang (a promise
// counts as settled if it did so within a bounded number of event-loop turns) and listener counts
// back to baseline.
import { describe, it, expect } from "@jest/globals";
import { nursery, CancelledError, type Nursery } from "@nursery/core";
import { VirtualClock, expectInvalidArgument, thrown, settledWithin as within, eventLoopTurns as turns, abortedSignal as aborted } from "@nursery/core/testing";
import { run, sleep, suspend, until, type Operation } from "effection";
import { spawnOperation, runOperation, useNursery, callWithSignal } from "@nursery/effection";
import { listenerCount, untilAborted } from "./helpers.js";

// Deliberately wrong input: `never` fits any parameter, so the type checker lets it through.
const bad = (value: unknown): never => value as never;

function* idle(): Operation<void> {
  yield* suspend();
}

const notFunctions: [string, unknown][] = [["undefined", undefined], ["null", null], ["42", 42], ['"op"', "op"], ["{}", {}], ["a generator object", idle()]];
const notNurseries: [string, unknown][] = [["undefined", undefined], ["null", null], ["{}", {}], ["an AbortSignal", new AbortController().signal], ["42", 42]];
const notOptions: [string, unknown][] = [["null", null], ["42", 42], ['"opts"', "opts"], ["true", true]];
const notSignals: [string, unknown][] = [["undefined", undefined], ["{}", {}], ["an AbortController", new AbortController()], ["null", null]];

describe("effection: hostile arguments", () => {
  it.each(notFunctions)("rejects an operation / fn of %s", async (_label, value) => {
    expectInvalidArgument(thrown(() => runOperation(bad(value), { signal: new AbortController().signal })), "operation");
    expectInvalidArgument(thrown(() => callWithSignal(bad(value))), "fn");
    await nursery((n) => {
      expectInvalidArgument(thrown(() => spawnOperation(n, bad(value))), "operation");
      expect(n.children).toHaveLength(0);
    });
  });

  it.each(notNurseries)("spawnOperation() rejects a nursery of %s", (_label, value) => {
    expectInvalidArgument(thrown(() => spawnOperation(bad(value), idle)), "nursery");
  });

  it.each(notOptions)("rejects options of %s", async (_label, value) => {
    expectInvalidArgument(thrown(() => runOperation(idle, bad(value))), "options");
    expectInvalidArgument(thrown(() => useNursery(bad(value))), "options");
    await nursery((n) => {
      expectInvalidArgument(thrown(() => spawnOperation(n, idle, bad(value))), "options");
    });
  });

  it.each(notSignals)("rejects a signal of %s", (_label, value) => {
    expectInvalidArgument(thrown(() => runOperation(idle, bad({ signal: value }))), "options.signal");
    if (value !== undefined) expectInvalidArgument(thrown(() => useNursery(bad({ signal: value }))), "options.signal");
  });

  it("rejects a spawnOperation name that is not a string", async () => {
    await nursery((n) => {
      for (const name of [5, null, {}]) expectInvalidArgument(thrown(() => spawnOperation(n, idle, bad({ name }))), "options.name");
    });
  });

  it("useNursery() with bad nursery options fails the effection operation with the house TypeError, holding nothing", async () => {
    for (const [options, name] of [
      [{ timeout: -1 }, "timeout"],
      [{ childGrace: NaN }, "childGrace"],
      [{ cancelOrder: "up" }, "cancelOrder"],
      [{ clock: 5 }, "clock"],
    ] as const) {
      const outside = new AbortController();
      const err = await run(function* () {
        yield* useNursery(bad({ ...options, signal: outside.signal }));
      }).catch((e: unknown) => e);
      expectInvalidArgument(err, name);
      expect(listenerCount(outside.signal)).toBe(0);
    }
  });
});

describe("effection: already-aborted signals", () => {
  it("runOperation() rejects with the reason itself and never starts the operation", async () => {
    const reason = new Error("already");
    const signal = aborted(reason);
    let started = false;
    await expect(
      runOperation(function* () {
        started = true;
        yield* suspend();
      }, { signal }),
    ).rejects.toBe(reason);
    expect(started).toBe(false);
    expect(listenerCount(signal)).toBe(0);
  });

  it("spawnOperation() into a cancelled nursery halts at once; the nursery resolves", async () => {
    let started = 0;
    let halted = 0;
    const value = await nursery((n) => {
      n.cancel();
      spawnOperation(n, function* () {
        started++;
        try {
          yield* suspend();
        } finally {
          halted++;
        }
      });
      return "body";
    });
    expect(value).toBe("body");
    expect(started).toBe(0); // the task's signal was aborted: the operation never started
    expect(halted).toBe(0);
  });

  it("useNursery({ signal: aborted }) fails the effection scope with a CancelledError and leaves no listener", async () => {
    const signal = aborted("gone");
    const err = await run(function* () {
      const n = yield* useNursery({ signal });
      yield* until(n.spawn(() => 1));
      yield* suspend();
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).reason.detail).toBe("gone");
    expect(listenerCount(signal)).toBe(0);
  });
});

describe("effection: re-entrant calls", () => {
  it("an operation that aborts its own signal while starting is halted once; the promise rejects with the reason", async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const result = await within(
      runOperation(function* () {
        try {
          controller.abort("self");
          log.push("after abort");
          yield* suspend();
        } finally {
          log.push("finally");
        }
      }, { signal: controller.signal }),
    );
    expect(result).toEqual({ state: "rejected", error: "self" });
    expect(log).toEqual(["after abort", "finally"]);
    expect(listenerCount(controller.signal)).toBe(0);
  });

  it("aborting twice, and aborting after the operation finished, change nothing", async () => {
    const controller = new AbortController();
    const done = runOperation(function* () {
      yield* sleep(1);
      return "done";
    }, { signal: controller.signal });
    expect(await done).toBe("done");
    controller.abort("late");
    expect(await done).toBe("done");
    expect(listenerCount(controller.signal)).toBe(0);
  });

  it("an operation spawned by spawnOperation() that cancels its own nursery settles it", async () => {
    const result = await within(
      nursery((n) => {
        spawnOperation(n, function* () {
          n.cancel("from inside the operation");
          yield* suspend();
        });
        spawnOperation(n, idle);
        return "body";
      }),
    );
    expect(result).toEqual({ state: "fulfilled", value: "body" });
  });

  it("useNursery(): cancelling the nursery from inside one of its tasks is absorbed; halting the scope twice is harmless", async () => {
    const clock = new VirtualClock({ autojump: true });
    let nursery_: Nursery | undefined;
    const task = run(function* () {
      const n = yield* useNursery({ clock });
      nursery_ = n;
      n.spawn(async (t) => {
        t.nursery.cancel("self");
        await untilAborted(t.signal);
      });
      yield* suspend();
    });
    await turns();
    expect(nursery_?.cancelRequested).toBe(true);
    const first = task.halt();
    const second = task.halt();
    expect(await within(first)).toEqual({ state: "fulfilled", value: undefined });
    expect((await within(second)).state).toBe("fulfilled");
    expect(nursery_?.children).toHaveLength(0);
    clock.autojump(false);
  });

  it("callWithSignal(): fn that throws synchronously is catchable in the operation; halting while fn is pending waits for it", async () => {
    const err = await run(function* () {
      try {
        yield* callWithSignal(() => {
          throw new Error("sync");
        });
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(err).toBe("sync");
    const log: string[] = [];
    const task = run(function* () {
      yield* callWithSignal(async (signal) => {
        try {
          await untilAborted(signal);
        } finally {
          log.push("fn settled");
        }
      });
    });
    await turns();
    await task.halt();
    expect(log).toEqual(["fn settled"]);
  });
});
