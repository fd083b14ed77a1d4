import { describe, it, expect } from "@jest/globals";
import { nursery, TimeoutError, CancelledError } from "@nursery/core";
import {
  VirtualClock,
  expectSequence,
  expectInvalidArgument,
  expectHouseTypeError,
  INVALID_ARGUMENT_MESSAGE,
  HOUSE_TYPE_ERROR,
  settledBy,
  eventLoopTurns,
  thrown,
} from "@nursery/core/testing";
import { deferred, flush, rejection, sleepUntil } from "./support.js";

describe("VirtualClock", () => {
  it("starts at 0 or at the given time and does not move by itself", async () => {
    const clock = new VirtualClock();
    const later = new VirtualClock({ now: 1_000 });
    let fired = false;
    clock.setTimer(0, () => {
      fired = true;
    });
    await flush(10);
    expect(clock.now()).toBe(0);
    expect(later.now()).toBe(1_000);
    expect(fired).toBe(false);
    expect(clock.pending).toBe(1);
  });

  it("fires due timers in due-time order, whatever order they were set in, at their due time", async () => {
    const clock = new VirtualClock({ now: 100 });
    const log: string[] = [];
    for (const ms of [30, 10, 50, 20]) clock.setTimer(ms, () => log.push(`${ms}@${clock.now()}`));
    await clock.advance(40);
    expect(log).toEqual(["10@110", "20@120", "30@130"]);
    expect(clock.now()).toBe(140);
    expect(clock.pending).toBe(1);
    await clock.advance(10);
    expect(log).toEqual(["10@110", "20@120", "30@130", "50@150"]);
    expect(clock.pending).toBe(0);
  });

  it("fires timers with equal due times in the order they were set", async () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    for (let i = 0; i < 20; i++) clock.setTimer(i % 2 === 0 ? 5 : 10, () => log.push(i));
    await clock.advance(10);
    expect(log).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  });

  it("keeps many timers in (due time, creation) order", async () => {
    const clock = new VirtualClock();
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 50;
    const fired: [number, number][] = [];
    const handles = [];
    for (let i = 0; i < 500; i++) {
      const due = random();
      handles.push(clock.setTimer(due, () => fired.push([due, i])));
    }
    for (let i = 0; i < 500; i += 7) clock.clearTimer(handles[i] as object);
    await clock.runAll();
    const expected = [...fired].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(fired).toEqual(expected);
    expect(fired).toHaveLength(500 - Math.ceil(500 / 7));
  });

  it("never fires a cleared timer, and clearing twice or after firing changes nothing", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const a = clock.setTimer(10, () => log.push("a"));
    const b = clock.setTimer(20, () => log.push("b"));
    clock.setTimer(30, () => log.push("c"));
    expect(clock.pending).toBe(3);
    clock.clearTimer(b);
    clock.clearTimer(b);
    expect(clock.pending).toBe(2);
    await clock.advance(15);
    clock.clearTimer(a);
    expect(clock.pending).toBe(1);
    await clock.advance(100);
    expect(log).toEqual(["a", "c"]);
    expect(clock.pending).toBe(0);
  });

  it("lets promise callbacks run after each timer, so timers they set fire in order within the same advance", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const ready = deferred();
    clock.setTimer(10, () => {
      log.push(`A@${clock.now()}`);
      ready.resolve();
    });
    clock.setTimer(18, () => log.push(`B@${clock.now()}`));
    void ready.promise.then(async () => {
      await null;
      log.push(`continuation@${clock.now()}`);
      clock.setTimer(5, () => log.push(`C@${clock.now()}`));
      clock.setTimer(50, () => log.push(`D@${clock.now()}`));
    });
    await clock.advance(20);
    expect(log).toEqual(["A@10", "continuation@10", "C@15", "B@18"]);
    expect(clock.now()).toBe(20);
    expect(clock.pending).toBe(1);
  });

  it("never fires an Infinity timer and does not count it as pending", async () => {
    const clock = new VirtualClock();
    let fired = false;
    const handle = clock.setTimer(Infinity, () => {
      fired = true;
    });
    expect(clock.pending).toBe(0);
    await clock.runAll();
    await clock.advance(1e12);
    clock.clearTimer(handle);
    expect(fired).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it("runAll() fires every timer, including those set while it runs, and moves time to the last one", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimer(100, () => {
      log.push(`a@${clock.now()}`);
      clock.setTimer(1_000, () => log.push(`b@${clock.now()}`));
    });
    clock.setTimer(50, () => log.push(`c@${clock.now()}`));
    await clock.runAll();
    expect(log).toEqual(["c@50", "a@100", "b@1100"]);
    expect(clock.now()).toBe(1_100);
    expect(clock.pending).toBe(0);
  });

  it("runAll() stops with an error when a timer keeps rescheduling itself", async () => {
    const clock = new VirtualClock();
    const again = (): void => {
      clock.setTimer(1, again);
    };
    again();
    await expect(clock.runAll({ limit: 50 })).rejects.toThrow("VirtualClock.runAll: more than 50 timers fired");
  });

  it("autojumps through nested nurseries, their timeouts and sleeps without advance()", async () => {
    const clock = new VirtualClock({ autojump: true });
    const log: string[] = [];
    const value = await nursery(
      (n) => {
        n.spawn(async (task) => {
          const err = await rejection(
            nursery(
              (inner) => {
                inner.spawn(async (t) => {
                  await sleepUntil(clock, 100, t.signal);
                  log.push(`B1 done@${clock.now()}`);
                });
                inner.spawn(async (t) => {
                  await sleepUntil(clock, 200, t.signal).catch((e: unknown) => {
                    log.push(`B2 cancelled@${clock.now()} (${(e as CancelledError).reason.source})`);
                    throw e;
                  });
                });
              },
              { signal: task.signal, clock, timeout: 150, name: "inner" },
            ),
          );
          log.push(`inner ${err instanceof TimeoutError ? "TimeoutError" : String(err)}@${clock.now()}`);
        });
        n.spawn(async (task) => {
          await sleepUntil(clock, 3_600_000, task.signal);
          log.push(`hour done@${clock.now()}`);
        });
        return "outer value";
      },
      { clock, timeout: 7_200_000 },
    );
    expect(value).toBe("outer value");
    expect(log).toEqual(["B1 done@100", "B2 cancelled@150 (deadline)", "inner TimeoutError@150", "hour done@3600000"]);
    expect(clock.now()).toBe(3_600_000);
    expect(clock.pending).toBe(0);
  });

  it("autojumps only when the program is idle, so a timer set by code still running is not skipped", async () => {
    const clock = new VirtualClock({ autojump: true });
    const log: string[] = [];
    const done = deferred();
    clock.setTimer(100, () => {
      log.push(`A@${clock.now()}`);
      done.resolve();
    });
    for (let i = 0; i < 20; i++) await null;
    await new Promise<void>((resolve) => setImmediate(resolve));
    clock.setTimer(50, () => log.push(`B@${clock.now()}`));
    await done.promise;
    expect(log).toEqual(["B@50", "A@100"]);
  });

  it("stops jumping after autojump(false) and starts after autojump()", async () => {
    const clock = new VirtualClock({ autojump: true });
    clock.autojump(false);
    let fired = false;
    clock.setTimer(10, () => {
      fired = true;
    });
    await flush(20);
    expect(fired).toBe(false);
    expect(clock.now()).toBe(0);
    const done = deferred();
    clock.setTimer(20, () => done.resolve());
    clock.autojump();
    await done.promise;
    expect(fired).toBe(true);
    expect(clock.now()).toBe(20);
  });
});

describe("VirtualClock autojump threshold", () => {
  it("still jumps when the program stays idle for the threshold, and reports the next due time", async () => {
    const clock = new VirtualClock();
    const done = deferred();
    clock.setTimer(500, () => done.resolve());
    clock.setTimer(900, () => {});
    expect(clock.nextDue).toBe(500);
    clock.autojump({ threshold: 2 });
    await done.promise;
    expect(clock.now()).toBe(500);
    expect(clock.nextDue).toBe(900);
    clock.autojump(false);
  });

  it("rejects a negative threshold", () => {
    const clock = new VirtualClock();
    expect(() => clock.autojump({ threshold: -1 })).toThrow(
      new TypeError("Expected `threshold` to be a number >= 0 or Infinity, got `-1` (number)"),
    );
  });
});

describe("expectSequence", () => {
  it("passes when the log matches the pattern in order", () => {
    expect(() => expectSequence(["a", "b", "c"], ["a", "b", "c"])).not.toThrow();
    expect(() => expectSequence([], [])).not.toThrow();
    expect(() => expectSequence([{ at: 1, what: "x" }], [{ at: 1, what: "x" }])).not.toThrow();
  });

  it("treats a Set as a group whose members may appear in any order", () => {
    const pattern = ["start", new Set(["a", "b", "c"]), "middle", new Set(["d", "e"]), "end"];
    expect(() => expectSequence(["start", "c", "a", "b", "middle", "e", "d", "end"], pattern)).not.toThrow();
    expect(() => expectSequence(["start", "a", "b", "c", "middle", "d", "e", "end"], pattern)).not.toThrow();
  });

  it.each<[string, unknown[], unknown[], string]>([
    ["entries out of order", ["a", "c", "b"], ["a", "b", "c"], "log[1] = 'c', expected 'b'"],
    ["a missing entry", ["a", "b"], ["a", "b", "c"], "log ended at index 2, expected 'c'"],
    ["trailing entries", ["a", "b", "c"], ["a", "b"], "log has 1 unexpected trailing entries from index 2: [ 'c' ]"],
    ["an entry outside its group", ["a", "x", "b"], [new Set(["a", "b"]), "x"], "log[1] = 'x' is not in group #0"],
    ["a group cut short", ["s", "a"], ["s", new Set(["a", "b"])], "log ended at index 2 inside group #1"],
    ["a deep mismatch", [{ n: 1 }], [{ n: 2 }], "log[0] = { n: 1 }, expected { n: 2 }"],
    ["a grouped entry appearing twice", ["a", "a"], [new Set(["a", "b"])], "log[1] = 'a' is not in group #0"],
  ])("throws on %s, describing the first mismatch", (_label, log, pattern, detail) => {
    let err: unknown;
    try {
      expectSequence(log, pattern);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message.startsWith(`expectSequence: ${detail}`)).toBe(true);
    expect((err as Error).message).toContain("  log:     ");
    expect((err as Error).message).toContain("  pattern: ");
  });
});

describe("expectInvalidArgument", () => {
  it("passes for a house-shape TypeError about the named argument", () => {
    const err = thrown(() => nursery(() => {}, { timeout: -1 }));
    expect(() => expectInvalidArgument(err, "timeout")).not.toThrow();
    expect(() => expectInvalidArgument(new TypeError("Expected `options.signal` to be an AbortSignal, got `{}` (object)"), "options.signal")).not.toThrow();
  });

  it.each<[string, unknown, string]>([
    ["nothing thrown", undefined, "expected a TypeError about `timeout`"],
    ["a plain Error in the house shape", new Error("Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)"), "expected a TypeError about `timeout`"],
    ["a TypeError in another shape", new TypeError("timeout must be >= 0"), "the message is not in the house shape"],
    ["a TypeError about another argument", new TypeError("Expected `ms` to be a number >= 0 or Infinity, got `-1` (number)"), "the message does not start with Expected `timeout`"],
    ["a TypeError about an argument whose name only starts the same", new TypeError("Expected `timeouts` to be an array, got `1` (number)"), "the message does not start with Expected `timeout`"],
  ])("throws an Error saying why for %s", (_label, err, why) => {
    const failure = thrown(() => expectInvalidArgument(err, "timeout"));
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(TypeError);
    expect((failure as Error).message.startsWith(`expectInvalidArgument: ${why}`)).toBe(true);
    expect((failure as Error).message).toContain("\n  got: ");
  });

  it("throws a house-shape TypeError when the name is not a string", () => {
    expect(() => expectInvalidArgument(new TypeError("x"), 42 as never)).toThrow(
      new TypeError("Expected `name` to be a string, got `42` (number)"),
    );
  });

  it("is still exported under its deprecated names, expectHouseTypeError and HOUSE_TYPE_ERROR", () => {
    expect(expectHouseTypeError).toBe(expectInvalidArgument);
    expect(HOUSE_TYPE_ERROR).toBe(INVALID_ARGUMENT_MESSAGE);
  });
});

describe("settledBy", () => {
  it("reports a fulfilled promise with its value; settled() turns true once it has settled", async () => {
    const seen: boolean[] = [];
    const result = await settledBy(Promise.resolve("done"), async (settled) => {
      seen.push(settled());
      await eventLoopTurns(1);
      seen.push(settled());
    });
    expect(seen).toEqual([false, true]);
    expect(result).toEqual({ state: "fulfilled", value: "done" });
  });

  it("reports a rejected promise with its error", async () => {
    const boom = new Error("boom");
    expect(await settledBy(Promise.reject(boom), () => eventLoopTurns(1))).toEqual({ state: "rejected", error: boom });
  });

  it("reports pending when the wait ends before the promise settles", async () => {
    expect(await settledBy(new Promise(() => {}), () => Promise.resolve())).toEqual({ state: "pending" });
  });

  it("rejects with the wait's own error when the wait gives up", async () => {
    const gaveUp = new Error("condition never held");
    await expect(settledBy(new Promise(() => {}), () => Promise.reject(gaveUp))).rejects.toBe(gaveUp);
  });

  it("rejects with a house-shape TypeError when waitFor is not a function", async () => {
    await expect(settledBy(Promise.resolve(), 30 as never)).rejects.toThrow(
      new TypeError("Expected `waitFor` to be a function, got `30` (number)"),
    );
  });
});
