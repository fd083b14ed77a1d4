// Hostile input for every public function of @nursery/core: wrong types, NaN, negative and huge
// numbers, already-aborted signals, hostile values (null-prototype objects, revoked proxies,
// misbehaving thenables, a clock that throws) and re-entrant calls. Each must give a TypeError in
// the house shape or a documented no-op, never a hang and never corrupted state: the nursery still
// settles, with the right outcome, no live child, no pending timer and no listener left behind.
//
// "Never a hang" is decided without real time: time is a VirtualClock, and a promise counts as
// settled when it did so within a bounded number of event-loop turns (`within()`).
import { describe, it, expect } from "@jest/globals";
import { getEventListeners } from "node:events";
import {
  nursery,
  openNursery,
  moveOnAfter,
  failAfter,
  shield,
  checkpoint,
  isCancellation,
  onCancel,
  cancelReasonOf,
  realClock,
  run,
  currentTask,
  CancelledError,
  NurseryClosedError,
  NurseryError,
  StartError,
  TimeoutError,
  type Clock,
  type Nursery,
  type TaskContext,
} from "@nursery/core";
import { dumpTree, enableCurrentTask } from "@nursery/core/debug";
import { VirtualClock, expectSequence, spawnFixture, expectInvalidArgument, NOT_DURATIONS, thrown, settledWithin as within, settledBy, eventLoopTurns, type Settled } from "@nursery/core/testing";
import { collectUnhandledRejections, flush } from "./support.js";

// Argument errors are checked with expectInvalidArgument, for the house shape:
// Expected `name` to be <what>, got `<value>` (<typeof>).
const bad = <T>(value: unknown): T => value as T;
const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

/** Runs `promise` to completion on `clock` (virtual time), then reports how it stands. */
function settleOn(clock: VirtualClock, promise: PromiseLike<unknown>): Promise<Settled> {
  return settledBy(promise, async () => {
    await clock.runAll();
    await eventLoopTurns();
  });
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Values no sane code throws, but some code does. */
const hostileValues: [string, () => unknown][] = [
  ["a null-prototype object", () => Object.create(null)],
  ["a revoked Proxy", revokedProxy],
  ["an object whose getters throw", () => new Proxy({}, { get: () => { throw new Error("getter"); }, getPrototypeOf: () => { throw new Error("proto"); } })],
  ["a Symbol", () => Symbol("thrown")],
  ["undefined", () => undefined],
  ["null", () => null],
  ["a string", () => "just a string"],
  ["a bigint", () => 10n],
];

// ------------------------------------------------------------------------------------------------
// Wrong types, NaN, negative and huge numbers
// ------------------------------------------------------------------------------------------------

const notNumbers = NOT_DURATIONS;
const hugeNumbers: [string, number][] = [
  ["0", 0],
  ["-0", -0],
  ["1e-9", 1e-9],
  ["2^31", 2 ** 31],
  ["2^53", 2 ** 53],
  ["1e300", 1e300],
  ["Number.MAX_VALUE", Number.MAX_VALUE],
  ["Infinity", Infinity],
];
const notFunctions: [string, unknown][] = [
  ["undefined", undefined],
  ["null", null],
  ["42", 42],
  ['"fn"', "fn"],
  ["{}", {}],
  ["a Promise", Promise.resolve()],
  ["a class instance", new Date(0)],
];
const notOptions: [string, unknown][] = [
  ["null", null],
  ["42", 42],
  ['"opts"', "opts"],
  ["true", true],
  ["a Symbol", Symbol("o")],
];
const notSignals: [string, unknown][] = [
  ["{}", {}],
  ["an AbortController", new AbortController()],
  ["{ aborted: false }", { aborted: false }],
  ["true", true],
  ["null", null],
  ['"signal"', "signal"],
];

describe("hostile arguments: numbers", () => {
  it.each(notNumbers.flatMap(([label, v]) => [["timeout", label, v], ["childGrace", label, v]] as const))(
    "nursery({ %s: %s }) throws a house-shape TypeError and starts nothing",
    (option, _label, value) => {
      const clock = new VirtualClock();
      const outside = new AbortController();
      let ran = false;
      const err = thrown(() => nursery(() => (ran = true), bad({ [option]: value, clock, signal: outside.signal })));
      expectInvalidArgument(err, option);
      expectInvalidArgument(thrown(() => openNursery(bad({ [option]: value }))), option);
      expect(ran).toBe(false);
      expect(clock.pending).toBe(0);
      expect(listeners(outside.signal)).toBe(0);
    },
  );

  it.each(hugeNumbers)("accepts timeout and childGrace of %s, settles, and leaves no timer", async (_label, value) => {
    const clock = new VirtualClock();
    const done = nursery(
      (n) => {
        n.spawn(async (task) => {
          await new Promise<void>((resolve) => clock.setTimer(5, resolve));
          return task.name;
        });
        return "ok";
      },
      { timeout: value, childGrace: value, clock },
    );
    const result = await settleOn(clock, done);
    // timeout 0 / -0 / 1e-9 passes before the child is done: the nursery fails with TimeoutError.
    if (value < 5) {
      expect(result.state).toBe("rejected");
      expect((result as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    } else {
      expect(result).toEqual({ state: "fulfilled", value: "ok" });
    }
    expect(clock.pending).toBe(0);
  });

  it.each(notNumbers)("moveOnAfter / failAfter / shield(timeout) reject ms %s synchronously, without calling fn", (_label, value) => {
    let called = false;
    const fn = (): void => {
      called = true;
    };
    expectInvalidArgument(thrown(() => moveOnAfter(bad(value), fn)), "ms");
    expectInvalidArgument(thrown(() => failAfter(bad(value), fn)), "ms");
    expectInvalidArgument(thrown(() => shield(fn, bad({ timeout: value }))), "timeout");
    expect(called).toBe(false);
  });

  it.each(hugeNumbers.filter(([, v]) => v >= 1))("moveOnAfter(%s) and failAfter(%s) with a fast fn resolve and clear their timer", async (_label, value) => {
    const clock = new VirtualClock();
    expect(await moveOnAfter(value, () => "fast", { clock })).toBe("fast");
    expect(await failAfter(value, async () => "fast", { clock })).toBe("fast");
    expect(clock.pending).toBe(0);
  });

  it("chunks a real-clock timer of 2^40 ms and clears it without leaving a Node timer behind", () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    let fired = false;
    const handle = realClock.setTimer(2 ** 40, () => (fired = true));
    expect(timers()).toBe(before + 1);
    realClock.clearTimer(handle);
    expect(timers()).toBe(before);
    expect(fired).toBe(false);
  });

  it.each(notNumbers)("realClock.setTimer and VirtualClock.setTimer reject ms %s", (_label, value) => {
    expectInvalidArgument(thrown(() => realClock.setTimer(bad(value), () => {})), "ms");
    const clock = new VirtualClock();
    expectInvalidArgument(thrown(() => clock.setTimer(bad(value), () => {})), "ms");
    expect(clock.pending).toBe(0);
  });

  it.each(notNumbers)("VirtualClock.advance(%s) rejects and leaves time where it was", async (_label, value) => {
    const clock = new VirtualClock({ now: 7 });
    expectInvalidArgument(await clock.advance(bad(value)).catch((e: unknown) => e), "ms");
    expect(clock.now()).toBe(7);
  });

  it("VirtualClock rejects bad constructor options, runAll limits and autojump arguments", async () => {
    expectInvalidArgument(thrown(() => new VirtualClock({ now: NaN })), "now");
    expectInvalidArgument(thrown(() => new VirtualClock({ now: Infinity })), "now");
    expectInvalidArgument(thrown(() => new VirtualClock(bad({ now: "0" }))), "now");
    expectInvalidArgument(thrown(() => new VirtualClock(bad({ autojump: 5 }))), "autojump");
    expectInvalidArgument(thrown(() => new VirtualClock(bad({ autojump: null }))), "autojump");
    const clock = new VirtualClock();
    expectInvalidArgument(thrown(() => clock.autojump(bad("yes"))), "enabled");
    expectInvalidArgument(thrown(() => clock.autojump({ threshold: -1 })), "threshold");
    expectInvalidArgument(thrown(() => clock.autojump({ threshold: NaN })), "threshold");
    expectInvalidArgument(await clock.runAll(bad(5)).catch((e: unknown) => e), "options");
    expectInvalidArgument(await clock.runAll(bad({ limit: "x" })).catch((e: unknown) => e), "limit");
    expectInvalidArgument(await clock.runAll({ limit: NaN }).catch((e: unknown) => e), "limit");
    expect(clock.advance(Infinity)).rejects.toThrow(TypeError);
    // clearTimer of anything that is not a live handle is a documented no-op.
    for (const handle of [undefined, null, 5, {}, "x"]) expect(() => clock.clearTimer(bad(handle))).not.toThrow();
    for (const handle of [undefined, null, 5, {}, "x"]) expect(() => realClock.clearTimer(bad(handle))).not.toThrow();
  });
});

describe("hostile arguments: types", () => {
  it.each(notFunctions)("rejects a body / fn / callback / main of %s", async (_label, value) => {
    expectInvalidArgument(thrown(() => nursery(bad(value))), "body");
    expectInvalidArgument(thrown(() => moveOnAfter(1, bad(value))), "fn");
    expectInvalidArgument(thrown(() => failAfter(1, bad(value))), "fn");
    expectInvalidArgument(thrown(() => shield(bad(value))), "fn");
    expectInvalidArgument(thrown(() => onCancel(new AbortController().signal, bad(value))), "callback");
    expectInvalidArgument(thrown(() => run(bad(value), { exit: false })), "main");
    expectInvalidArgument(thrown(() => realClock.setTimer(1, bad(value))), "callback");
    expectInvalidArgument(thrown(() => new VirtualClock().setTimer(1, bad(value))), "callback");
    await nursery((n) => {
      expectInvalidArgument(thrown(() => n.spawn(bad(value))), "fn");
      expectInvalidArgument(thrown(() => n.start(bad(value))), "fn");
      expect(n.children).toHaveLength(0);
    });
  });

  it.each(notOptions)("rejects options of %s everywhere an options object is taken", async (_label, value) => {
    const fn = (): number => 1;
    expectInvalidArgument(thrown(() => nursery(fn, bad(value))), "options");
    expectInvalidArgument(thrown(() => openNursery(bad(value))), "options");
    expectInvalidArgument(thrown(() => moveOnAfter(1, fn, bad(value))), "options");
    expectInvalidArgument(thrown(() => failAfter(1, fn, bad(value))), "options");
    expectInvalidArgument(thrown(() => shield(fn, bad(value))), "options");
    expectInvalidArgument(thrown(() => run(fn, bad(value))), "options");
    expectInvalidArgument(thrown(() => dumpTree(openNursery(), bad(value))), "options");
    expectInvalidArgument(thrown(() => new VirtualClock(bad(value))), "options");
    expectInvalidArgument(thrown(() => spawnFixture("x.mjs", bad(value))), "options");
    await nursery((n) => {
      expectInvalidArgument(thrown(() => n.spawn(fn, bad(value))), "options");
      expectInvalidArgument(thrown(() => n.start(fn, bad(value))), "options");
    });
  });

  it.each(notSignals)("rejects a signal of %s and adds nothing", (_label, value) => {
    const fn = (): number => 1;
    expectInvalidArgument(thrown(() => nursery(fn, bad({ signal: value }))), "signal");
    expectInvalidArgument(thrown(() => moveOnAfter(1, fn, bad({ signal: value }))), "signal");
    expectInvalidArgument(thrown(() => failAfter(1, fn, bad({ signal: value }))), "signal");
    expectInvalidArgument(thrown(() => checkpoint(bad(value))), "signal");
    if (value instanceof AbortController) {
      // Documented: onCancel()/cancelReasonOf() take anything with a `signal` (a nursery, an options
      // object), so a controller is listened to through its signal.
      let heard = 0;
      const remove = onCancel(bad(value), () => heard++);
      expect(listeners(value.signal)).toBe(1);
      remove();
      expect(listeners(value.signal)).toBe(0);
      expect(cancelReasonOf(bad(value))).toBeUndefined();
      expect(heard).toBe(0);
      return;
    }
    expectInvalidArgument(thrown(() => onCancel(bad(value), () => {})), "source");
    expectInvalidArgument(thrown(() => cancelReasonOf(bad(value))), "source");
  });

  it("rejects names, orders, clocks and flags of the wrong type", () => {
    const fn = (): number => 1;
    for (const name of [5, null, {}, Symbol("n"), ["a"]]) {
      expectInvalidArgument(thrown(() => nursery(fn, bad({ name }))), "name");
      expectInvalidArgument(thrown(() => moveOnAfter(1, fn, bad({ name }))), "name");
    }
    for (const cancelOrder of ["forward", "", null, 1, "REVERSE"]) {
      expectInvalidArgument(thrown(() => nursery(fn, bad({ cancelOrder }))), "cancelOrder");
    }
    for (const clock of [null, 5, {}, Date, { setTimer: 5 }]) {
      expectInvalidArgument(thrown(() => nursery(fn, bad({ clock }))), "clock");
      expectInvalidArgument(thrown(() => failAfter(1, fn, bad({ clock }))), "clock");
    }
    for (const shieldFlag of ["yes", 1, null]) expectInvalidArgument(thrown(() => moveOnAfter(1, fn, bad({ shield: shieldFlag }))), "shield");
  });

  it("rejects run() options before installing anything (SIGKILL and SIGSTOP cannot be listened to)", () => {
    const fn = (): number => 1;
    const before = ["SIGINT", "SIGTERM", "SIGHUP", "unhandledRejection"].map((e) => process.listenerCount(e));
    const timers = process.getActiveResourcesInfo().length;
    expectInvalidArgument(thrown(() => run(fn, bad({ signals: "SIGINT" }))), "signals");
    expectInvalidArgument(thrown(() => run(fn, bad({ signals: ["SIGNOPE"] }))), "signals");
    expectInvalidArgument(thrown(() => run(fn, bad({ signals: [2] }))), "signals");
    expectInvalidArgument(thrown(() => run(fn, { signals: ["SIGINT", "SIGKILL"] })), "signals");
    expectInvalidArgument(thrown(() => run(fn, { signals: ["SIGSTOP"] })), "signals");
    expectInvalidArgument(thrown(() => run(fn, { shutdownTimeout: -1 })), "shutdownTimeout");
    expectInvalidArgument(thrown(() => run(fn, { shutdownTimeout: NaN })), "shutdownTimeout");
    expectInvalidArgument(thrown(() => run(fn, bad({ onSecondSignal: "panic" }))), "onSecondSignal");
    expectInvalidArgument(thrown(() => run(fn, bad({ exit: "no" }))), "exit");
    expectInvalidArgument(thrown(() => run(fn, bad({ exit: false, catchUncaught: "no" }))), "catchUncaught");
    expectInvalidArgument(thrown(() => run(fn, bad({ exit: false, name: 5 }))), "name");
    expect(["SIGINT", "SIGTERM", "SIGHUP", "unhandledRejection"].map((e) => process.listenerCount(e))).toEqual(before);
    expect(process.getActiveResourcesInfo().length).toBe(timers);
  });

  it("rejects dumpTree() of something that is not a nursery, and a locate that is not a function", () => {
    for (const root of [undefined, null, 5, {}, { children: [] }, new AbortController()]) {
      expectInvalidArgument(thrown(() => dumpTree(bad(root))), "root");
    }
    expectInvalidArgument(thrown(() => dumpTree(openNursery(), bad({ locate: 5 }))), "locate");
    expect(dumpTree(openNursery({ name: "ok" }))).toBe("ok (nursery)");
  });

  it("rejects expectSequence() and spawnFixture() arguments of the wrong type", () => {
    expectInvalidArgument(thrown(() => expectSequence(bad(null), [])), "log");
    expectInvalidArgument(thrown(() => expectSequence([], bad("abc"))), "pattern");
    expectInvalidArgument(thrown(() => spawnFixture(bad(5))), "file");
  });

  it("isCancellation() never throws, whatever it is given", () => {
    for (const [, make] of hostileValues) expect(isCancellation(make())).toBe(false);
    for (const v of [0, "", NaN, true, () => {}, [], new Error("AbortError"), { name: 5 }]) expect(isCancellation(v)).toBe(false);
    expect(isCancellation({ name: "AbortError" })).toBe(true);
  });

  it("cancelReasonOf() of a live signal is undefined; currentTask() outside a task is undefined; enableCurrentTask() twice is a no-op", async () => {
    expect(cancelReasonOf(new AbortController().signal)).toBeUndefined();
    expect(currentTask()).toBeUndefined();
    enableCurrentTask();
    enableCurrentTask();
    const seen = await nursery((n) => n.spawn((task) => currentTask() === task));
    expect(seen).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------
// Already-aborted signals
// ------------------------------------------------------------------------------------------------

describe("already-aborted signals", () => {
  const aborted = (reason?: unknown): AbortSignal => {
    const c = new AbortController();
    c.abort(reason);
    return c.signal;
  };

  it("a nursery opened on an aborted signal runs its body already cancelled, rejects CancelledError, and adds no listener or timer", async () => {
    const clock = new VirtualClock();
    const signal = aborted("gone");
    const seen: boolean[] = [];
    const done = nursery(
      (n) => {
        seen.push(n.signal.aborted, n.cancelRequested);
        n.spawn((task) => {
          seen.push(task.signal.aborted);
          return Promise.reject(task.signal.reason);
        });
      },
      { signal, clock, timeout: 100 },
    );
    const result = await settleOn(clock, done);
    expect(result.state).toBe("rejected");
    const err = (result as { error: CancelledError }).error;
    expect(err).toBeInstanceOf(CancelledError);
    expect(err.reason).toMatchObject({ source: "parent", detail: "gone" });
    expect(seen).toEqual([true, true, true]);
    expect(listeners(signal)).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it("passes an aborted signal's CancelledError down by identity", async () => {
    const reason = new CancelledError({ source: "signal", detail: "SIGINT" });
    const err = await nursery(() => {}, { signal: aborted(reason) }).catch((e: unknown) => e);
    expect(err).toBe(reason);
  });

  it("AbortSignal.abort() and an aborted AbortSignal.timeout-style reason are accepted the same way", async () => {
    const err = await nursery(() => {}, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(isCancellation((err as CancelledError).reason.detail)).toBe(true);
  });

  it("openNursery() on an aborted signal: dispose rejects with CancelledError; a child starts cancelled", async () => {
    const signal = aborted("x");
    const n = openNursery({ signal });
    const task = n.spawn((t) => (t.signal.aborted ? Promise.reject(t.signal.reason) : "ran"));
    await expect(n[Symbol.asyncDispose]()).rejects.toBeInstanceOf(CancelledError);
    expect(task.state).toBe("cancelled");
  });

  it("moveOnAfter / failAfter with an aborted signal reject with its cancellation without calling fn, a timer or a listener", async () => {
    const clock = new VirtualClock();
    const reason = new Error("stop");
    const signal = aborted(reason);
    let called = 0;
    const fn = (): number => ++called;
    const outerCancellation = { reason: { source: "parent", detail: reason } };
    await expect(moveOnAfter(10, fn, { signal, clock })).rejects.toMatchObject(outerCancellation);
    await expect(failAfter(10, fn, { signal, clock })).rejects.toMatchObject(outerCancellation);
    expect(called).toBe(0);
    expect(clock.pending).toBe(0);
    expect(listeners(signal)).toBe(0);
    // shield ignores the outer signal: fn runs.
    expect(await moveOnAfter(10, fn, { signal, clock, shield: true })).toBe(1);
  });

  it("checkpoint() rejects at once with the reason; onCancel() calls back at once and adds nothing", async () => {
    const reason = { why: "already" };
    const signal = aborted(reason);
    await expect(checkpoint(signal)).rejects.toBe(reason);
    const got: unknown[] = [];
    const remove = onCancel(signal, (r) => got.push(r));
    expect(got).toEqual([reason]);
    expect(listeners(signal)).toBe(0);
    expect(() => remove()).not.toThrow();
    expect(cancelReasonOf(signal)).toBe(reason);
  });
});

// ------------------------------------------------------------------------------------------------
// Hostile values: what tasks throw, what cancel() is given, thenables, clocks
// ------------------------------------------------------------------------------------------------

describe("hostile values", () => {
  it.each(hostileValues)("a task that throws %s fails its nursery once, which still settles", async (_label, make) => {
    const value = make();
    const unhandled = await collectUnhandledRejections(async () => {
      const clock = new VirtualClock();
      let nRef: Nursery | undefined;
      const done = nursery(
        (n) => {
          nRef = n;
          n.spawn(async () => {
            await null;
            throw value;
          });
          n.spawn(() => {
            throw value;
          });
          n.spawn((task) => new Promise((_, reject) => onCancel(task, reject)));
        },
        { clock },
      );
      const result = await settleOn(clock, done);
      expect(result.state).toBe("rejected");
      const err = (result as { error: unknown }).error;
      expect(err).toBeInstanceOf(NurseryError);
      const errors = (err as NurseryError).errors;
      // Objects are listed once even when thrown twice; primitives are two failures.
      const objectLike = (typeof value === "object" && value !== null) || typeof value === "function";
      expect(errors).toHaveLength(objectLike ? 1 : 2);
      for (const e of errors) expect(e).toBe(value);
      expect(typeof (err as Error).message).toBe("string");
      expect(nRef?.children).toHaveLength(0);
    });
    expect(unhandled).toEqual([]);
  });

  it.each(hostileValues)("a body that throws %s fails its nursery, which still settles", async (_label, make) => {
    const value = make();
    const sync = await within(nursery(() => { throw value; }));
    const later = await within(nursery(async () => { await null; throw value; }));
    for (const result of [sync, later]) {
      expect(result.state).toBe("rejected");
      const errors = ((result as { error: unknown }).error as NurseryError).errors;
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBe(value); // identity: jest's deep equality would trip on a revoked Proxy
    }
  });

  it.each(hostileValues)("cancel(%s) never throws; the nursery resolves", async (_label, make) => {
    const value = make();
    const result = await within(
      nursery((n) => {
        n.spawn((task) => new Promise((_, reject) => onCancel(task, reject)));
        const task = n.spawn((t) => new Promise((_, reject) => onCancel(t, reject)));
        expect(() => task.cancel(value)).not.toThrow();
        expect(() => n.cancel(value)).not.toThrow();
        return "done";
      }),
    );
    expect(result).toEqual({ state: "fulfilled", value: "done" });
  });

  it.each(hostileValues)("an outside signal aborted with %s rejects the nursery with a CancelledError carrying it", async (_label, make) => {
    const value = make();
    const outside = new AbortController();
    const done = nursery((n) => new Promise((_, reject) => n.signal.addEventListener("abort", () => reject(n.signal.reason))), { signal: outside.signal });
    outside.abort(value);
    const result = await within(done);
    expect(result.state).toBe("rejected");
    const err = (result as { error: CancelledError }).error;
    expect(err).toBeInstanceOf(CancelledError);
    // AbortController.abort(undefined) substitutes a DOMException AbortError.
    if (value !== undefined) expect(err.reason.detail).toBe(value);
    expect(listeners(outside.signal)).toBe(0);
  });

  const thenables: [string, () => PromiseLike<unknown>, "fulfilled" | "rejected"][] = [
    ["whose then getter throws", () => bad({ get then() { throw new Error("getter"); } }), "rejected"],
    ["whose then() throws", () => bad({ then() { throw new Error("then"); } }), "rejected"],
    ["that fulfils twice and then rejects", () => ({ then(ok: (v: unknown) => void, no: (e: unknown) => void) { ok(1); ok(2); no(new Error("late")); } }) as PromiseLike<unknown>, "fulfilled"],
    ["that rejects, then fulfils", () => ({ then(ok: (v: unknown) => void, no: (e: unknown) => void) { no(new Error("first")); ok(1); } }) as PromiseLike<unknown>, "rejected"],
    ["that calls back synchronously and then throws", () => ({ then(ok: (v: unknown) => void) { ok("sync"); throw new Error("after"); } }) as PromiseLike<unknown>, "fulfilled"],
  ];

  it.each(thenables)("settles a task whose thenable misbehaves (one %s) exactly once, and the nursery with it", async (_label, make, expected) => {
    const unhandled = await collectUnhandledRejections(async () => {
      const clock = new VirtualClock();
      let nRef: Nursery | undefined;
      let slowDone = false;
      const done = nursery(
        (n) => {
          nRef = n;
          // A sibling still running: a task settled twice would make the nursery settle before it.
          n.spawn(async () => {
            await new Promise<void>((resolve) => clock.setTimer(10, resolve));
            slowDone = true;
          });
          const task = n.spawn(make);
          return task.then(
            () => "fulfilled",
            () => "rejected",
          );
        },
        { clock, cancelOrder: "concurrent" },
      );
      const result = await settleOn(clock, done);
      expect(result.state).toBe(expected === "fulfilled" ? "fulfilled" : "rejected");
      if (expected === "fulfilled") expect((result as { value: unknown }).value).toBe("fulfilled");
      else expect(((result as { error: unknown }).error as NurseryError).errors).toHaveLength(1);
      expect(slowDone || expected === "rejected").toBe(true);
      expect(nRef?.children).toHaveLength(0);
    });
    expect(unhandled).toEqual([]);
  });

  it.each(thenables)("settles a body that returns a thenable %s instead of throwing out of nursery()", async (_label, make, expected) => {
    let result: Settled | undefined;
    expect(() => {
      result = { state: "pending" };
      void within(nursery(make)).then((r) => (result = r));
    }).not.toThrow();
    await flush(35);
    expect(result?.state).toBe(expected);
  });

  it("start() of a task whose thenable misbehaves rejects start() and leaves the nursery able to settle", async () => {
    const result = await within(
      nursery(async (n) => {
        const err = await n.start(() => bad({ then() { throw new Error("then"); } })).catch((e: unknown) => e);
        return (err as Error).message;
      }),
    );
    expect(result).toEqual({ state: "fulfilled", value: "then" });
  });

  it("a clock whose setTimer throws: nursery() throws that error and leaves no listener and no tree entry", () => {
    const broken: Clock = { now: () => 0, setTimer: () => { throw new Error("clock broke"); }, clearTimer: () => {} };
    const outside = new AbortController();
    expect(() => nursery(() => 1, { signal: outside.signal, clock: broken, timeout: 5 })).toThrow("clock broke");
    expect(listeners(outside.signal)).toBe(0);
    // Inside a task: the failed nursery does not appear under the task in the tree.
    const parent = openNursery({ name: "parent" });
    parent.spawn((task) => {
      expect(() => openNursery({ signal: task.signal, clock: broken, timeout: 5 })).toThrow("clock broke");
      expect(listeners(task.signal)).toBe(0);
    });
    expect(dumpTree(parent)).toBe("parent (nursery)");
  });
});

// ------------------------------------------------------------------------------------------------
// Re-entrant calls
// ------------------------------------------------------------------------------------------------

/** A task that waits for its cancellation, logs `turn:<name>`, cleans up for `cleanup` ms, logs `done:<name>`. */
function waiter(log: string[], name: string, clock: VirtualClock, cleanup = 5, onTurn?: (task: TaskContext) => void) {
  return (task: TaskContext): Promise<void> =>
    new Promise<void>((_, reject) => {
      onCancel(task, (reason) => {
        log.push(`turn:${name}`);
        onTurn?.(task);
        clock.setTimer(cleanup, () => {
          log.push(`done:${name}`);
          reject(reason);
        });
      });
    });
}

describe("re-entrant calls", () => {
  it("cancel() from inside a task's cleanup is a no-op; the nursery resolves", async () => {
    const clock = new VirtualClock();
    let n!: Nursery;
    const done = nursery(
      (nursery) => {
        n = nursery;
        nursery.spawn(async (task) => {
          try {
            await new Promise((_, reject) => onCancel(task, reject));
          } finally {
            task.nursery.cancel("again");
            task.nursery.cancel();
          }
        });
        nursery.cancel("first");
        return "body";
      },
      { clock },
    );
    expect(await settleOn(clock, done)).toEqual({ state: "fulfilled", value: "body" });
    expect(n.cancelRequested).toBe(true);
    expect(() => n.cancel("after close")).not.toThrow();
  });

  it("cancel() and Task.cancel() from inside cancel hooks and abort listeners keep the first reason and the newest-first order", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const reasons = new Set<unknown>();
    const done = nursery(
      (n) => {
        n.spawn(waiter(log, "a", clock, 5, (t) => reasons.add(t.signal.reason)));
        const b = n.spawn(waiter(log, "b", clock, 5, (t) => reasons.add(t.signal.reason)));
        n.spawn(
          waiter(log, "c", clock, 5, (t) => {
            reasons.add(t.signal.reason);
            t.nursery.cancel("inside hook");
            b.cancel("b from c's hook"); // an explicit Task.cancel() is allowed to jump the queue
          }),
        );
        n.signal.addEventListener("abort", () => n.cancel("inside body listener"));
        n.cancel("first");
      },
      { clock },
    );
    expect((await settleOn(clock, done)).state).toBe("fulfilled");
    // b's cleanup timer was set (from c's hook) before c's own: b finishes first.
    expect(log).toEqual(["turn:c", "turn:b", "done:b", "done:c", "turn:a", "done:a"]);
    const nurseryReasons = [...reasons].filter((r) => (r as CancelledError).reason.task === undefined);
    expect(nurseryReasons).toHaveLength(1);
    expect((nurseryReasons[0] as CancelledError).reason.detail).toBe("first");
  });

  it.each(["reverse", "concurrent"] as const)(
    "spawn() from inside a cancel hook (%s order) starts the child already cancelled and waits for it",
    async (cancelOrder) => {
      const clock = new VirtualClock();
      const log: string[] = [];
      let n!: Nursery;
      const done = nursery(
        (nursery) => {
          n = nursery;
          nursery.spawn(waiter(log, "a", clock));
          nursery.spawn(
            waiter(log, "b", clock, 5, (t) => {
              t.nursery.spawn(waiter(log, "late", clock, 20));
            }),
          );
          nursery.cancel();
        },
        { clock, cancelOrder },
      );
      expect((await settleOn(clock, done)).state).toBe("fulfilled");
      expect(n.children).toHaveLength(0);
      expect(log).toContain("done:late");
      if (cancelOrder === "reverse") {
        // The late child is the newest: the nursery waits for it before cancelling a.
        expect(log).toEqual(["turn:b", "turn:late", "done:b", "done:late", "turn:a", "done:a"]);
      }
    },
  );

  it("spawn() from the body's abort listener (the last turn) adds a child the nursery still waits for", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const done = nursery(
      (n) => {
        // A block body: Node's EventTarget treats a listener's returned thenable (a Task is one) as a
        // promise and reports its rejection, here the cancellation, as an uncaught exception.
        n.signal.addEventListener("abort", () => {
          n.spawn(waiter(log, "from-body-listener", clock, 7));
        });
        n.spawn(waiter(log, "a", clock));
        n.cancel();
        return "body";
      },
      { clock },
    );
    const result = await settleOn(clock, done);
    expect(result).toEqual({ state: "fulfilled", value: "body" });
    expect(log).toEqual(["turn:a", "done:a", "turn:from-body-listener", "done:from-body-listener"]);
  });

  it("start() inside cancellation: started() resolves it; rejecting rejects it without failing the nursery", async () => {
    const clock = new VirtualClock();
    const results: unknown[] = [];
    const done = nursery(
      (n) => {
        n.spawn((task) =>
          new Promise((_, reject) =>
            onCancel(task, (reason) => {
              n.start<string>((t) => {
                t.started("ready anyway");
                return Promise.reject(t.signal.reason);
              }).then((v) => results.push(v));
              n.start((t) => Promise.reject(t.signal.reason)).catch((e: unknown) => results.push(e instanceof CancelledError));
              n.start(() => undefined).catch((e: unknown) => results.push(e instanceof StartError && e.code));
              reject(reason);
            }),
          ),
        );
        n.cancel();
      },
      { clock },
    );
    expect((await settleOn(clock, done)).state).toBe("fulfilled");
    expect(results).toEqual(expect.arrayContaining(["ready anyway", true, "ERR_NOT_STARTED"]));
    expect(results).toHaveLength(3);
  });

  it("started() twice throws StartError in the task; the second call changes nothing", async () => {
    const value = await nursery((n) =>
      n.start<number>((t) => {
        t.started(1);
        expect(() => t.started(2)).toThrow(StartError);
      }),
    );
    expect(value).toBe(1);
  });

  it("dispose twice, and dispose from inside a child, wait for the same children and give the same outcome", async () => {
    const clock = new VirtualClock();
    const n = openNursery({ clock });
    const boom = new Error("boom");
    n.spawn(async (task) => {
      void task.nursery; // a child may hold the nursery and end the block itself
      void n[Symbol.asyncDispose]();
      await new Promise<void>((resolve) => clock.setTimer(5, resolve));
      throw boom;
    });
    const first = n[Symbol.asyncDispose]();
    const second = n[Symbol.asyncDispose]();
    const a = await settleOn(clock, first);
    const b = await within(second);
    expect(a.state).toBe("rejected");
    expect(b).toEqual(a);
    expect(((a as { error: unknown }).error as NurseryError).errors).toEqual([boom]);
    expect(thrown(() => n.spawn(() => 1))).toBeInstanceOf(NurseryClosedError);
    expect(n.children).toHaveLength(0);
  });

  it("a child that cancels its own nursery synchronously inside spawn() is cancelled in turn and the nursery settles", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const done = nursery(
      (n) => {
        n.spawn(waiter(log, "older", clock));
        n.spawn((task) => {
          task.nursery.cancel("from inside spawn");
          log.push(`self:${task.signal.aborted}`);
          return Promise.reject(task.signal.reason);
        });
        n.spawn(waiter(log, "after", clock));
        return "body";
      },
      { clock },
    );
    expect(await settleOn(clock, done)).toEqual({ state: "fulfilled", value: "body" });
    expect(log).toEqual(["self:true", "turn:after", "done:after", "turn:older", "done:older"]);
  });

  it("opening a nursery inside an abort listener, on the aborted signal, settles it at once", async () => {
    const outer: unknown[] = [];
    await nursery((n) => {
      n.spawn((task) => {
        const inner: Promise<unknown>[] = [];
        task.signal.addEventListener("abort", () => {
          inner.push(nursery((m) => m.spawn((t) => t.signal.aborted), { signal: task.signal }).catch((e: unknown) => e));
        });
        return new Promise((_, reject) =>
          task.signal.addEventListener("abort", () => {
            void Promise.all(inner).then((r) => outer.push(...r));
            reject(task.signal.reason);
          }),
        );
      });
      n.cancel();
    });
    await flush();
    expect(outer).toHaveLength(1);
    expect(outer[0]).toBeInstanceOf(CancelledError);
  });

  it("a scope inside an already-cancelled scope rejects at once with the outer reason, not a TimeoutError", async () => {
    const clock = new VirtualClock();
    const result = await within(
      failAfter(
        1,
        async (signal) => {
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
          return failAfter(100, () => "never", { signal, clock });
        },
        { clock },
      ).catch((e: unknown) => e),
      0,
    );
    await clock.runAll();
    const err = await failAfter(1, () => new Promise(() => {}), { clock, signal: AbortSignal.abort("outer") }).catch((e: unknown) => e);
    expect((err as CancelledError).reason).toMatchObject({ source: "parent", detail: "outer" });
    expect(result.state).toBe("pending"); // still settling when looked at first...
    expect(clock.pending).toBe(0); // ...but nothing is left on the clock
  });

  it("VirtualClock: an advance() started while another runs never moves time backwards", async () => {
    // The second call's target (now + 10) is computed early; by the time it ends, the first call
    // may have fired later timers. Sweep the moment of the second call across the first one's turns.
    for (let delay = 0; delay < 9; delay++) {
      const clock = new VirtualClock();
      const fired: number[] = [];
      clock.setTimer(5, () => fired.push(clock.now()));
      clock.setTimer(20, () => fired.push(clock.now()));
      const first = clock.advance(100);
      await flush(delay);
      const target = clock.now() + 10;
      const second = clock.advance(10);
      let last = 0;
      let backwards = false;
      const sampler = (async () => {
        for (let i = 0; i < 40; i++) {
          if (clock.now() < last) backwards = true;
          last = clock.now();
          await flush(1);
        }
      })();
      await Promise.all([first, second, sampler]);
      expect({ delay, backwards }).toEqual({ delay, backwards: false });
      expect(fired).toEqual([5, 20]);
      expect(clock.now()).toBe(Math.max(100, target));
    }
  });

  it("VirtualClock: a timer set or cleared inside a callback behaves; a self-rescheduling timer hits runAll's limit", async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimer(5, () => {
      const self = clock.setTimer(0, () => seen.push(-1));
      clock.clearTimer(self);
      clock.setTimer(0, () => seen.push(clock.now()));
    });
    await clock.advance(10);
    expect(seen).toEqual([5]);
    expect(clock.pending).toBe(0);
    const again = (): void => void clock.setTimer(1, again);
    clock.setTimer(1, again);
    await expect(clock.runAll({ limit: 50 })).rejects.toThrow(/more than 50 timers/);
  });
});
