import { afterEach, describe, expect, it } from "@jest/globals";
import { createHook } from "node:async_hooks";
import { join } from "node:path";
import { nursery } from "@nursery/core";
import { spawnFixture, type Fixture } from "@nursery/core/testing";
import { deadline, interval, sleep, timeout } from "@nursery/timers";

const HOUR = 3_600_000;

/** True when the Timeout being created comes from a nursery package's built code (core's clock, timers; source-mapped to src/ under jest). */
function createdByNursery(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 20;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  return /[\\/]packages[\\/](core|timers)[\\/](dist|src)[\\/]/.test(stack);
}

describe("timer lifetime on the real clock", () => {
  it("clears every Timeout it created by the time a cancelled nursery has settled", async () => {
    // Jest keeps Timeouts of its own (its reporter's status ticker, in this process when jest
    // runs in band), so in this process only the Timeouts created by nursery's code are tracked,
    // one by one; the fixture test below checks process.getActiveResourcesInfo() in a process
    // with no others.
    const live = new Set<number>();
    let created = 0;
    const hook = createHook({
      init(id, type) {
        if (type === "Timeout" && createdByNursery()) {
          live.add(id);
          created++;
        }
      },
      destroy(id) {
        live.delete(id);
      },
    });
    hook.enable();
    try {
      await nursery(async (n) => {
        for (let i = 0; i < 100; i++) n.spawn((task) => sleep(HOUR + i, task));
        n.spawn(async (task) => {
          for await (const tick of interval(HOUR, task)) void tick;
        });
        n.spawn((task) => timeout(HOUR, (signal) => sleep(2 * HOUR, { signal }), task));
        n.spawn((task) => deadline(performance.now() + HOUR, (signal) => sleep(2 * HOUR, { signal }), task));
        await new Promise((resolve) => setImmediate(resolve));
        n.cancel();
      });
      // Node emits destroy hooks from a native queue, a turn after clearTimeout; an hour-long
      // timer that was not cleared stays live however long this waits.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      hook.disable();
    }
    expect(created).toBeGreaterThanOrEqual(100 + 1 + 2 + 2);
    expect(live.size).toBe(0);
  });

  describe("in a separate process", () => {
    let fixture: Fixture | undefined;
    afterEach(() => fixture?.kill());

    it("has no Timeout in process.getActiveResourcesInfo() after the scope, and exits by itself", async () => {
      // Runs the built packages: `npx tsc -b` first. A leaked timer would show in the resource list
      // and keep the process alive for an hour, so this test would fail or time out.
      fixture = spawnFixture(join(__dirname, "fixtures", "cancelled-timers.mjs"));
      const exit = await fixture.exited;
      expect(exit.stderr).toBe("");
      const lines = exit.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^during: \d+ Timeout$/);
      expect(Number(/\d+/.exec(lines[0] ?? "")?.[0])).toBeGreaterThanOrEqual(10 + 1 + 2);
      expect(lines.slice(1)).toEqual(["after: 0 Timeout"]);
      expect(exit.code).toBe(0);
    }, 20_000);
  });
});
