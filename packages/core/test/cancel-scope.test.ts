import { describe, it, expect, jest } from "@jest/globals";
import { getEventListeners } from "node:events";
import { setTimeout as nodeSleep } from "node:timers/promises";
import {
  nursery,
  moveOnAfter,
  failAfter,
  shield,
  checkpoint,
  CancelledError,
  TimeoutError,
  isCancellation,
} from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { deferred, flush, rejection, settle, sleep, untilAborted } from "./support.js";

const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

describe.each([
  ["moveOnAfter", moveOnAfter],
  ["failAfter", failAfter],
] as const)("%s (shared behaviour)", (_name, scope) => {
  it("resolves with fn's value, clears its timer and removes its listener from the outer signal", async () => {
    const clock = new VirtualClock();
    const outer = new AbortController();
    const baseline = listeners(outer.signal);
    let during = -1;
    const value = await scope(
      100,
      async (signal) => {
        during = listeners(outer.signal);
        expect(signal.aborted).toBe(false);
        return "value";
      },
      { clock, signal: outer.signal },
    );
    expect(value).toBe("value");
    expect(during).toBe(baseline + 1);
    expect(listeners(outer.signal)).toBe(baseline);
    expect(clock.pending).toBe(0);
  });

  it("rejects with fn's own error, and cleans up", async () => {
    const clock = new VirtualClock();
    const outer = new AbortController();
    const baseline = listeners(outer.signal);
    const boom = new Error("boom");
    await expect(
      scope(100, async () => {
        throw boom;
      }, { clock, signal: outer.signal }),
    ).rejects.toBe(boom);
    await expect(
      scope(100, () => {
        throw boom;
      }, { clock }),
    ).rejects.toBe(boom);
    expect(listeners(outer.signal)).toBe(baseline);
    expect(clock.pending).toBe(0);
  });

  it("aborts fn's signal with a deadline CancelledError exactly when the deadline passes", async () => {
    const clock = new VirtualClock();
    let inner!: AbortSignal;
    const done = settle(
      scope(100, (signal) => {
        inner = signal;
        return untilAborted(signal);
      }, { clock, name: "prices" }),
    );
    await clock.advance(99);
    expect(inner.aborted).toBe(false);
    await clock.advance(1);
    expect(inner.aborted).toBe(true);
    expect(inner.reason).toBeInstanceOf(CancelledError);
    expect((inner.reason as CancelledError).reason).toEqual({ source: "deadline", detail: 100, nursery: "prices", task: undefined });
    expect((inner.reason as CancelledError).message).toBe('cancelled: deadline of 100 ms passed (nursery "prices")');
    await done;
  });

  it("resolves with fn's value when fn ignores the deadline and finishes late", async () => {
    const clock = new VirtualClock({ autojump: true });
    const value = await scope(10, async (signal) => {
      await sleep(clock, 50);
      return signal.aborted ? "late but done" : "on time";
    }, { clock });
    expect(value).toBe("late but done");
  });

  it("rejects with the outer reason when the outer signal aborts, without touching the deadline", async () => {
    const clock = new VirtualClock();
    const outer = new AbortController();
    const baseline = listeners(outer.signal);
    let inner!: AbortSignal;
    const done = settle(
      scope(100, (signal) => {
        inner = signal;
        return untilAborted(signal);
      }, { clock, signal: outer.signal, name: "fetch" }),
    );
    await clock.advance(10);
    outer.abort("user left");
    const result = await done;
    expect(result.ok).toBe(false);
    const err = (result as { error: unknown }).error;
    expect(err).not.toBeInstanceOf(TimeoutError);
    expect(err).toBe(inner.reason);
    expect((err as CancelledError).reason).toEqual({ source: "parent", detail: "user left", nursery: "fetch", task: undefined });
    expect(listeners(outer.signal)).toBe(baseline);
    expect(clock.pending).toBe(0);
  });

  it("rejects at once with the outer cancellation, without calling fn, when the outer signal is already aborted", async () => {
    const outer = new AbortController();
    outer.abort(new Error("already gone"));
    const clock = new VirtualClock();
    const fn = jest.fn(() => "ran");
    const err = await rejection(scope(100, fn, { clock, signal: outer.signal }));
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).reason).toMatchObject({ source: "parent", detail: outer.signal.reason });
    expect(fn).not.toHaveBeenCalled();
    expect(clock.pending).toBe(0);
    expect(listeners(outer.signal)).toBe(0);
  });

  it("ignores outer cancellation with { shield: true } and adds no listener to the outer signal", async () => {
    const clock = new VirtualClock();
    const outer = new AbortController();
    outer.abort("ignored from the start");
    const later = new AbortController();
    const gate = deferred<string>();
    let inner!: AbortSignal;
    const done = scope(100, (signal) => {
      inner = signal;
      return gate.promise;
    }, { clock, signal: later.signal, shield: true });
    later.abort("ignored too");
    expect(inner.aborted).toBe(false);
    expect(listeners(later.signal)).toBe(0);
    gate.resolve("finished under shield");
    await expect(done).resolves.toBe("finished under shield");
    await expect(scope(100, () => "also runs", { clock, signal: outer.signal, shield: true })).resolves.toBe("also runs");
  });
});

describe("moveOnAfter", () => {
  it("resolves with undefined when its own deadline cancels fn", async () => {
    const clock = new VirtualClock();
    const done = moveOnAfter(100, (signal) => untilAborted(signal), { clock });
    await clock.advance(100);
    await expect(done).resolves.toBeUndefined();
  });

  it("also swallows a Node AbortError that wraps its own deadline", async () => {
    const clock = new VirtualClock();
    const done = moveOnAfter(100, (signal) => nodeSleep(1e9, "never", { signal }), { clock });
    await clock.advance(100);
    await expect(done).resolves.toBeUndefined();
  });

  it("does not swallow a real error thrown after its deadline passed", async () => {
    const clock = new VirtualClock();
    const boom = new Error("cleanup failed");
    const done = rejection(
      moveOnAfter(100, async (signal) => {
        await untilAborted(signal).catch(() => {});
        throw boom;
      }, { clock }),
    );
    await clock.advance(100);
    expect(await done).toBe(boom);
  });
});

describe("failAfter", () => {
  it("rejects with TimeoutError carrying the deadline, the scope name and fn's rejection as cause", async () => {
    const clock = new VirtualClock();
    let inner!: AbortSignal;
    const done = rejection(
      failAfter(250, (signal) => {
        inner = signal;
        return untilAborted(signal);
      }, { clock, name: "load-user" }),
    );
    await clock.advance(250);
    const err = await done;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(isCancellation(err)).toBe(false);
    expect(err).toMatchObject({
      name: "TimeoutError",
      code: "ERR_TIMEOUT",
      timeout: 250,
      scope: "load-user",
      message: '"load-user" timed out after 250 ms',
    });
    expect((err as TimeoutError).cause).toBe(inner.reason);
  });

  it("rethrows the outer nursery's cancellation, not a TimeoutError, when the nursery is cancelled first", async () => {
    const clock = new VirtualClock();
    const seen: unknown[] = [];
    const done = nursery(
      async (n) => {
        n.spawn(async (task) => {
          try {
            // The work ignores cancellation for 200 ms, so the 100 ms deadline passes while it
            // winds down: the scope must still attribute its end to the nursery.
            await failAfter(100, async (signal) => {
              await untilAborted(signal).catch(() => {});
              await sleep(clock, 200);
              throw signal.reason;
            }, { clock, signal: task.signal });
          } catch (err) {
            seen.push(err, task.signal.reason);
            throw err;
          }
        });
        await sleep(clock, 50);
        n.cancel("outer stop");
        await untilAborted(n.signal).catch(() => {});
      },
      { clock, name: "outer" },
    );
    await clock.runAll();
    await expect(done).resolves.toBeUndefined();
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBeInstanceOf(TimeoutError);
    expect(seen[0]).toBe(seen[1]);
    expect((seen[0] as CancelledError).reason).toMatchObject({ source: "explicit", detail: "outer stop", nursery: "outer" });
  });

  it("rethrows the outer cancellation, not a TimeoutError, when the outer signal aborts after the deadline but before fn settles", async () => {
    // Both scopes are cancelled: the outermost catches (trio's rule), so the deadline that came
    // first does not turn the outer cancellation into a timeout.
    const clock = new VirtualClock();
    const outer = new AbortController();
    const outerReason = new CancelledError({ source: "signal", detail: "SIGINT", nursery: "main" });
    let inner!: AbortSignal;
    const done = rejection(
      failAfter(100, async (signal) => {
        inner = signal;
        await untilAborted(signal).catch(() => {});
        await sleep(clock, 50); // winds down; the outer cancellation comes meanwhile
        throw signal.reason;
      }, { clock, signal: outer.signal, name: "load" }),
    );
    await clock.advance(100);
    expect((inner.reason as CancelledError).reason.source).toBe("deadline");
    outer.abort(outerReason);
    await clock.runAll();
    expect(await done).toBe(outerReason);
    expect(listeners(outer.signal)).toBe(0);
  });

  it("moveOnAfter does not swallow an outer cancellation that came after its deadline", async () => {
    const clock = new VirtualClock();
    const outer = new AbortController();
    const done = rejection(
      moveOnAfter(100, async (signal) => {
        await untilAborted(signal).catch(() => {});
        await sleep(clock, 50);
        throw signal.reason;
      }, { clock, signal: outer.signal }),
    );
    await clock.advance(100);
    outer.abort("shutdown");
    await clock.runAll();
    expect(await done).toBeInstanceOf(CancelledError);
    expect(((await done) as CancelledError).reason).toMatchObject({ source: "parent", detail: "shutdown" });
  });

  it("still times out when the outer signal aborts only after fn settled", async () => {
    const clock = new VirtualClock();
    const outer = new AbortController();
    const done = rejection(failAfter(100, (signal) => untilAborted(signal), { clock, signal: outer.signal }));
    await clock.advance(100);
    const err = await done;
    outer.abort("late");
    expect(err).toBeInstanceOf(TimeoutError);
  });

  it("rethrows the outer cancellation at once when entered inside an already cancelled nursery", async () => {
    const clock = new VirtualClock();
    await nursery(
      async (n) => {
        n.cancel();
        await n.start(async (task) => {
          task.started();
          const err = await rejection(failAfter(0, () => "never runs", { clock, signal: task.signal }));
          expect(err).toBe(task.signal.reason);
          expect(err).not.toBeInstanceOf(TimeoutError);
        });
      },
      { clock },
    );
  });

  it("rejects with TimeoutError under { shield: true } when its own deadline passes, even though the outer signal aborted", async () => {
    const clock = new VirtualClock();
    const outer = new AbortController();
    const log: string[] = [];
    const done = rejection(
      failAfter(100, async (signal) => {
        signal.addEventListener("abort", () => log.push(`inner aborted@${clock.now()}`));
        await untilAborted(signal);
      }, { clock, signal: outer.signal, shield: true, name: "flush" }),
    );
    await clock.advance(10);
    outer.abort("shutdown");
    await clock.advance(89);
    expect(log).toEqual([]);
    await clock.advance(1);
    const err = await done;
    expect(log).toEqual(["inner aborted@100"]);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ timeout: 100, scope: "flush" });
  });
});

describe("shield", () => {
  it("lets cleanup finish while the task around it is cancelled", async () => {
    const clock = new VirtualClock({ autojump: true });
    const log: string[] = [];
    await nursery(
      (n) => {
        n.spawn(async (task) => {
          try {
            await untilAborted(task.signal);
          } finally {
            const flushed = await shield(async (signal) => {
              await sleep(clock, 30);
              return signal.aborted ? "cut short" : "flushed";
            }, { clock, timeout: 1000 });
            log.push(`${flushed} with task signal aborted=${task.signal.aborted}`);
          }
        });
        n.cancel();
      },
      { clock },
    );
    expect(log).toEqual(["flushed with task signal aborted=true"]);
  });

  it("rejects with TimeoutError when its own timeout passes", async () => {
    const clock = new VirtualClock();
    const done = rejection(shield((signal) => untilAborted(signal), { clock, timeout: 500, name: "commit" }));
    await clock.advance(500);
    const err = await done;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ timeout: 500, scope: "commit" });
    expect(clock.pending).toBe(0);
  });

  it("resolves with fn's value and sets no timer without a timeout", async () => {
    const clock = new VirtualClock();
    await expect(shield(async () => "done", { clock })).resolves.toBe("done");
    expect(clock.pending).toBe(0);
  });
});

describe("checkpoint", () => {
  it("yields to the event loop and resolves when the signal is not aborted", async () => {
    const log: string[] = [];
    setImmediate(() => log.push("other work"));
    await checkpoint(new AbortController().signal);
    log.push("after checkpoint");
    expect(log).toEqual(["other work", "after checkpoint"]);
  });

  it("rejects with signal.reason at once, without yielding, when the signal is already aborted", async () => {
    const controller = new AbortController();
    const reason = new CancelledError({ source: "explicit", nursery: "n" });
    controller.abort(reason);
    const log: string[] = [];
    setImmediate(() => log.push("other work"));
    const err = await rejection(checkpoint(controller.signal));
    log.push("rejected");
    expect(err).toBe(reason);
    expect(log).toEqual(["rejected"]);
  });

  it("rejects with signal.reason when the signal aborts while it yields", async () => {
    const controller = new AbortController();
    const pending = rejection(checkpoint(controller.signal));
    controller.abort("stop");
    await expect(pending).resolves.toBe("stop");
  });

  it("keeps a long loop cancellable inside a nursery", async () => {
    let iterations = 0;
    await nursery((n) => {
      n.spawn(async (task) => {
        for (;;) {
          iterations++;
          await checkpoint(task.signal);
        }
      });
      n.spawn(async () => {
        await checkpoint(new AbortController().signal);
        await checkpoint(new AbortController().signal);
        n.cancel();
      });
    });
    expect(iterations).toBeGreaterThan(0);
  });
});

describe("cancel scopes at the edges", () => {
  it.each([
    ["moveOnAfter", moveOnAfter],
    ["failAfter", failAfter],
  ] as const)("regression: %s(0) is cancelled at its first checkpoint, every time", async (_, scope) => {
    for (let i = 0; i < 50; i++) {
      const result = await settle(
        scope(0, async (signal) => {
          await checkpoint(signal);
          return "passed";
        }),
      );
      if (scope === moveOnAfter) expect(result).toEqual({ ok: true, value: undefined });
      else expect(result.ok ? result.value : result.error).toBeInstanceOf(TimeoutError);
    }
  });

  it("regression: shield with timeout 0 is cancelled at its first checkpoint", async () => {
    const err = await rejection(shield(async (signal) => checkpoint(signal), { timeout: 0 }));
    expect(err).toBeInstanceOf(TimeoutError);
  });

  it.each([
    ["moveOnAfter", moveOnAfter],
    ["failAfter", failAfter],
  ] as const)(
    "regression: %s rejects an outer abort with the same CancelledError whether or not its deadline fired",
    async (_, scope) => {
      const clock = new VirtualClock();
      const results: unknown[] = [];
      for (const deadlineFirst of [false, true]) {
        const outer = new AbortController();
        const gate = deferred();
        const p = scope(
          10,
          async (signal) => {
            try {
              await untilAborted(signal);
            } finally {
              await gate.promise; // cleanup still running when the outer signal aborts
            }
          },
          { signal: outer.signal, clock, name: "scope" },
        );
        if (deadlineFirst) await clock.advance(10);
        outer.abort("outer");
        gate.resolve();
        results.push(await rejection(p));
      }
      for (const err of results) {
        expect(err).toBeInstanceOf(CancelledError);
        expect((err as CancelledError).reason).toMatchObject({ source: "parent", detail: "outer", nursery: "scope" });
      }
    },
  );

  it("regression: an outer signal aborted before entry rejects with a CancelledError of source parent", async () => {
    const outer = new AbortController();
    outer.abort("outer");
    const err = await rejection(moveOnAfter(10, () => "ran", { signal: outer.signal }));
    expect((err as CancelledError).reason).toMatchObject({ source: "parent", detail: "outer" });
  });

  it("rejects an outer cancellation with the enclosing nursery's CancelledError by identity, before entry and while fn runs", async () => {
    const seen: unknown[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        seen.push(await rejection(moveOnAfter(3_600_000, (signal) => untilAborted(signal), { signal: task.signal })));
        seen.push(await rejection(failAfter(10, () => "ran", { signal: task.signal })));
        seen.push(task.signal.reason);
      });
      await Promise.resolve();
      n.cancel();
    });
    expect(seen[0]).toBeInstanceOf(CancelledError);
    expect(seen[0]).toBe(seen[2]);
    expect(seen[1]).toBe(seen[2]);
  });

  it("regression: a 0 ms deadline reaches an fn that only listens for abort", async () => {
    const clock = new VirtualClock();
    const err = await rejection(failAfter(0, (signal) => untilAbortEvent(signal), { clock }));
    expect(err).toBeInstanceOf(TimeoutError);
  });

  it("regression: a real error whose cause is the deadline's reason is not swallowed by moveOnAfter", async () => {
    const clock = new VirtualClock();
    const p = moveOnAfter(
      10,
      async (signal) => {
        try {
          await untilAborted(signal);
        } catch (reason) {
          throw new Error("flush failed", { cause: reason });
        }
      },
      { clock },
    );
    const failure = rejection(p);
    await clock.advance(10);
    expect(((await failure) as Error).message).toBe("flush failed");
  });

  it.each([
    ["moveOnAfter", moveOnAfter],
    ["failAfter", failAfter],
  ] as const)(
    "regression: cancelling 10,000 nested %s scopes settles, each cleanup in order, without RangeError",
    async (_, scope) => {
      const depth = 10_000;
      const log: number[] = [];
      let ready!: () => void;
      const allOpen = new Promise<void>((resolve) => (ready = resolve));
      const level = async (i: number, signal: AbortSignal): Promise<void> => {
        await null; // entering is the caller's recursion: one level per turn keeps it off the stack
        try {
          if (i === depth) {
            ready();
            await untilAborted(signal);
          } else {
            await scope(3_600_000, (inner) => level(i + 1, inner), { signal });
          }
        } finally {
          log.push(i);
        }
      };
      const outer = new AbortController();
      const done = level(0, outer.signal);
      await allOpen;
      outer.abort("stop");
      expect(await rejection(done)).toBeInstanceOf(CancelledError);
      expect(log).toHaveLength(depth + 1);
      expect(log.every((v, i) => v === depth - i)).toBe(true);
    },
  );

  it("settles 10,000 nested shields when the innermost deadline passes", async () => {
    const clock = new VirtualClock();
    const depth = 10_000;
    const log: number[] = [];
    const level = async (i: number): Promise<void> => {
      await null; // entering is the caller's recursion: one level per turn keeps it off the stack
      try {
        if (i === depth) await shield((signal) => untilAborted(signal), { timeout: 5, clock });
        else await shield(() => level(i + 1), { timeout: 3_600_000, clock });
      } finally {
        log.push(i);
      }
    };
    const done = rejection(level(0));
    await flush();
    await clock.advance(5);
    expect(await done).toBeInstanceOf(TimeoutError);
    expect(log).toHaveLength(depth + 1);
  });
});

/** Rejects on the signal's next abort event only (does not look at `signal.aborted`). */
function untilAbortEvent(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
}
