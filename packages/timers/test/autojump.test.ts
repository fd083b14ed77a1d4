import { describe, expect, it } from "@jest/globals";
import { TimeoutError, nursery } from "@nursery/core";
import { VirtualClock, expectSequence } from "@nursery/core/testing";
import { interval, sleep, timeout } from "@nursery/timers";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe("timers under an autojumping VirtualClock", () => {
  it("runs hour-long schedules across nested nurseries in order, jumping straight from timer to timer", async () => {
    const clock = new VirtualClock({ autojump: true });
    const log: string[] = [];
    const at = (what: string): void => {
      log.push(`${what} at ${clock.now() / MINUTE} min`);
    };
    await nursery(
      async (outer) => {
        outer.spawn(async (task) => {
          await nursery(
            async (inner) => {
              inner.spawn(async (t) => {
                await sleep(2 * HOUR, t);
                at("inner sleep done");
              });
              inner.spawn(async (t) => {
                for await (const tick of interval(30 * MINUTE, t)) {
                  at(`tick ${tick.index}`);
                  if (tick.index === 3) break;
                }
              });
            },
            { clock: task.clock, signal: task.signal, name: "inner" },
          );
          at("inner nursery done");
        });
        outer.spawn(async (task) => {
          const outcome = await timeout(HOUR, (signal) => sleep(3 * HOUR, { signal, clock: task.clock }), task).catch(
            (err: unknown) => (err as TimeoutError).code,
          );
          at(`timeout ${String(outcome)}`);
        });
      },
      { clock, name: "outer" },
    );
    expectSequence(log, [
      "tick 1 at 30 min",
      new Set(["tick 2 at 60 min", "timeout ERR_TIMEOUT at 60 min"]),
      "tick 3 at 90 min",
      "inner sleep done at 120 min",
      "inner nursery done at 120 min",
    ]);
    expect(clock.now()).toBe(2 * HOUR);
    expect(clock.pending).toBe(0);
  });

  it("cancels day-long sleeps in nested nurseries when an outer nursery's hour timeout passes", async () => {
    const clock = new VirtualClock({ autojump: true });
    const cleanups: string[] = [];
    const result = nursery(
      async (outer) => {
        for (const name of ["a", "b"]) {
          outer.spawn(async (task) => {
            await nursery(
              (inner) => {
                inner.spawn(async (t) => {
                  try {
                    await sleep(24 * HOUR, t);
                  } finally {
                    cleanups.push(`${name} cleaned up at ${clock.now() / HOUR} h`);
                  }
                });
              },
              { clock: task.clock, signal: task.signal },
            );
          });
        }
      },
      { clock, timeout: 5 * HOUR },
    );
    await expect(result).rejects.toBeInstanceOf(TimeoutError);
    // Reverse order: the newest child ("b") is cancelled and cleaned up first.
    expect(cleanups).toEqual(["b cleaned up at 5 h", "a cleaned up at 5 h"]);
    expect(clock.pending).toBe(0);
  });
});
