import { describe, it, expect, jest } from "@jest/globals";
import { getEventListeners } from "node:events";
import {
  nursery,
  openNursery,
  moveOnAfter,
  failAfter,
  shield,
  checkpoint,
  realClock,
  type Nursery,
  type NurseryOptions,
} from "@nursery/core";
import { VirtualClock, expectSequence } from "@nursery/core/testing";

// The house shape of every argument error: Expected `name` to be <what>, got `<value>` (<typeof>).
const SHAPE = /^Expected `[A-Za-z]+` to be .+, got `.*` \((?:number|string|object|null|undefined|boolean|function|symbol|bigint)\)$/;

/** Calls `fn`, expecting it to throw synchronously; returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a synchronous throw");
}

function expectTypeError(err: unknown, message: string): void {
  expect(err).toBeInstanceOf(TypeError);
  expect((err as TypeError).message).toBe(message);
  expect((err as TypeError).message).toMatch(SHAPE);
}

// Casts for deliberately wrong input: the type checker would reject these calls.
const bad = <T>(value: unknown): T => value as T;

describe("nursery() and openNursery() argument checks", () => {
  it.each<[string, NurseryOptions | undefined, string]>([
    ["timeout: -1", { timeout: -1 }, "Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)"],
    ["timeout: NaN", { timeout: NaN }, "Expected `timeout` to be a number >= 0 or Infinity, got `NaN` (number)"],
    ['timeout: "5"', bad({ timeout: "5" }), 'Expected `timeout` to be a number >= 0 or Infinity, got `"5"` (string)'],
    ["childGrace: NaN", { childGrace: NaN }, "Expected `childGrace` to be a number >= 0 or Infinity, got `NaN` (number)"],
    ["childGrace: -Infinity", { childGrace: -Infinity }, "Expected `childGrace` to be a number >= 0 or Infinity, got `-Infinity` (number)"],
    ["childGrace: null", bad({ childGrace: null }), "Expected `childGrace` to be a number >= 0 or Infinity, got `null` (null)"],
    ['cancelOrder: "sideways"', bad({ cancelOrder: "sideways" }), 'Expected `cancelOrder` to be "reverse" or "concurrent", got `"sideways"` (string)'],
    ["cancelOrder: Symbol", bad({ cancelOrder: Symbol("up") }), 'Expected `cancelOrder` to be "reverse" or "concurrent", got `Symbol(up)` (symbol)'],
    ["name: 5", bad({ name: 5 }), "Expected `name` to be a string, got `5` (number)"],
    ["signal: {}", bad({ signal: {} }), "Expected `signal` to be an AbortSignal, got `[object Object]` (object)"],
    ["signal: an AbortController", bad({ signal: new AbortController() }), "Expected `signal` to be an AbortSignal, got `[object AbortController]` (object)"],
    ["signal: true", bad({ signal: true }), "Expected `signal` to be an AbortSignal, got `true` (boolean)"],
    ["clock: Date", bad({ clock: Date }), "Expected `clock` to be a Clock (now, setTimer, clearTimer), got `[function Date]` (function)"],
    ["clock: {}", bad({ clock: {} }), "Expected `clock` to be a Clock (now, setTimer, clearTimer), got `[object Object]` (object)"],
    ["options: 42", bad(42), "Expected `options` to be an options object, got `42` (number)"],
    ["options: null", bad(null), "Expected `options` to be an options object, got `null` (null)"],
  ])("rejects %s with a TypeError naming the option, without running the body", (_label, options, message) => {
    const body = jest.fn();
    expectTypeError(thrown(() => nursery(body, options)), message);
    expect(body).not.toHaveBeenCalled();
    expectTypeError(thrown(() => openNursery(options)), message);
  });

  it("rejects a body that is not a function", () => {
    expectTypeError(thrown(() => nursery(bad(42))), "Expected `body` to be a function, got `42` (number)");
    expectTypeError(thrown(() => nursery(bad("go"))), 'Expected `body` to be a function, got `"go"` (string)');
    expectTypeError(thrown(() => nursery(bad(undefined))), "Expected `body` to be a function, got `undefined` (undefined)");
  });

  it("adds no listener and sets no timer when the options are bad", () => {
    const outside = new AbortController();
    const clock = new VirtualClock();
    thrown(() => nursery(() => {}, bad({ signal: outside.signal, clock, timeout: 100, cancelOrder: "up" })));
    expect(clock.pending).toBe(0);
    expect(getEventListeners(outside.signal, "abort")).toHaveLength(0);
  });

  it("accepts 0 and Infinity for the numeric options", async () => {
    await expect(nursery(() => "ok", { timeout: Infinity, childGrace: Infinity })).resolves.toBe("ok");
    await expect(nursery(() => "ok", { childGrace: 0, clock: new VirtualClock() })).resolves.toBe("ok");
  });

  it("shortens long values in the message", () => {
    const err = thrown(() => nursery(() => {}, bad({ name: ["a", "b"] })));
    expectTypeError(err, "Expected `name` to be a string, got `[array(2)]` (object)");
    const long = "x".repeat(100);
    const err2 = thrown(() => nursery(() => {}, bad({ cancelOrder: long })));
    expectTypeError(err2, `Expected \`cancelOrder\` to be "reverse" or "concurrent", got \`"${"x".repeat(56)}...\` (string)`);
  });
});

describe("Nursery.spawn() and start() argument checks", () => {
  async function inNursery(check: (n: Nursery) => void): Promise<void> {
    await nursery((n) => {
      check(n);
      expect(n.children).toEqual([]);
    });
  }

  it("rejects spawn(42) and a non-function start(), adding no child", async () => {
    await inNursery((n) => {
      expectTypeError(thrown(() => n.spawn(bad(42))), "Expected `fn` to be a function, got `42` (number)");
      expectTypeError(thrown(() => n.start(bad(null))), "Expected `fn` to be a function, got `null` (null)");
    });
  });

  it("rejects bad spawn options without running the function", async () => {
    const fn = jest.fn();
    await inNursery((n) => {
      expectTypeError(thrown(() => n.spawn(fn, bad({ name: 7 }))), "Expected `name` to be a string, got `7` (number)");
      expectTypeError(thrown(() => n.spawn(fn, bad("worker"))), 'Expected `options` to be an options object, got `"worker"` (string)');
      expectTypeError(thrown(() => n.start(fn, bad({ name: false }))), "Expected `name` to be a string, got `false` (boolean)");
    });
    expect(fn).not.toHaveBeenCalled();
  });
});

describe("cancel scope argument checks", () => {
  const fn = (): string => "ran";

  it.each<[string, () => unknown, string]>([
    ["moveOnAfter(-1, fn)", () => moveOnAfter(-1, fn), "Expected `ms` to be a number >= 0 or Infinity, got `-1` (number)"],
    ["failAfter(NaN, fn)", () => failAfter(NaN, fn), "Expected `ms` to be a number >= 0 or Infinity, got `NaN` (number)"],
    ["moveOnAfter(10, 42)", () => moveOnAfter(10, bad(42)), "Expected `fn` to be a function, got `42` (number)"],
    ["failAfter(10, fn, 1)", () => failAfter(10, fn, bad(1)), "Expected `options` to be an options object, got `1` (number)"],
    ["signal: {}", () => failAfter(10, fn, bad({ signal: {} })), "Expected `signal` to be an AbortSignal, got `[object Object]` (object)"],
    ['shield: "yes"', () => moveOnAfter(10, fn, bad({ shield: "yes" })), 'Expected `shield` to be a boolean, got `"yes"` (string)'],
    ["name: 1", () => moveOnAfter(10, fn, bad({ name: 1 })), "Expected `name` to be a string, got `1` (number)"],
    ["clock: 1", () => failAfter(10, fn, bad({ clock: 1 })), "Expected `clock` to be a Clock (now, setTimer, clearTimer), got `1` (number)"],
    ["shield(42)", () => shield(bad(42)), "Expected `fn` to be a function, got `42` (number)"],
    ["shield(fn, { timeout: -1 })", () => shield(fn, { timeout: -1 }), "Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)"],
    ['shield(fn, "x")', () => shield(fn, bad("x")), 'Expected `options` to be an options object, got `"x"` (string)'],
  ])("throws synchronously for %s", (_label, call, message) => {
    expectTypeError(thrown(call), message);
  });

  it("does not run fn or set a timer when an argument is bad", () => {
    const clock = new VirtualClock();
    const spy = jest.fn();
    thrown(() => moveOnAfter(10, spy, bad({ clock, shield: 1 })));
    thrown(() => failAfter(-5, spy, { clock }));
    expect(spy).not.toHaveBeenCalled();
    expect(clock.pending).toBe(0);
  });

  it("throws a TypeError synchronously from checkpoint() of a non-signal", () => {
    expectTypeError(
      thrown(() => checkpoint(bad({ aborted: false }))),
      "Expected `signal` to be an AbortSignal, got `[object Object]` (object)",
    );
  });
});

describe("clock argument checks", () => {
  it("checks realClock.setTimer's arguments", () => {
    expectTypeError(thrown(() => realClock.setTimer(-1, () => {})), "Expected `ms` to be a number >= 0 or Infinity, got `-1` (number)");
    expectTypeError(thrown(() => realClock.setTimer(1, bad("later"))), 'Expected `callback` to be a function, got `"later"` (string)');
  });

  it("checks VirtualClock's arguments", async () => {
    expectTypeError(thrown(() => new VirtualClock({ now: NaN })), "Expected `now` to be a finite number, got `NaN` (number)");
    expectTypeError(thrown(() => new VirtualClock(bad(5))), "Expected `options` to be an options object, got `5` (number)");
    const clock = new VirtualClock();
    expectTypeError(thrown(() => clock.setTimer(-1, () => {})), "Expected `ms` to be a number >= 0 or Infinity, got `-1` (number)");
    expectTypeError(thrown(() => clock.setTimer(1, bad(null))), "Expected `callback` to be a function, got `null` (null)");
    expectTypeError(await clock.advance(-1).catch((e: unknown) => e), "Expected `ms` to be a number >= 0 or Infinity, got `-1` (number)");
    expectTypeError(await clock.advance(Infinity).catch((e: unknown) => e), "Expected `ms` to be a finite number >= 0, got `Infinity` (number)");
    expect(clock.pending).toBe(0);
  });

  it("checks expectSequence's arguments", () => {
    expectTypeError(thrown(() => expectSequence(bad("log"), [])), 'Expected `log` to be an array, got `"log"` (string)');
    expectTypeError(thrown(() => expectSequence([], bad(new Set()))), "Expected `pattern` to be an array, got `[object Set]` (object)");
  });
});
