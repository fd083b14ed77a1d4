// @nursery/timers on the runtime's own timers, and on core's VirtualClock.
import { nursery, CancelledError, TimeoutError } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { sleep, interval, timeout } from "@nursery/timers";
import { test, assert } from "../harness.mjs";

test("timers: sleep resolves after the runtime's timer fires, never before", async () => {
  // A lower bound only: on a loaded machine two timers can both be due when the loop turns, and
  // runtimes order such timers differently (Node by due time, Bun by creation), so no order is
  // asserted. 1 ms of slack for timer granularity.
  const started = Date.now();
  await sleep(20);
  assert.ok(Date.now() - started >= 19, `resolved after ${Date.now() - started} ms`);
});

test("timers: sleep rejects with the task's CancelledError when its task is cancelled", async () => {
  let seen;
  await nursery(async (n) => {
    n.spawn(async (task) => {
      seen = await sleep(60_000, task).catch((e) => e);
    });
    await sleep(0);
    n.cancel("stop");
  });
  assert.ok(seen instanceof CancelledError);
  assert.equal(seen.reason.source, "explicit");
});

test("timers: sleep on an already aborted signal rejects at once with its reason", async () => {
  const controller = new AbortController();
  controller.abort(new Error("gone"));
  const err = await sleep(60_000, { signal: controller.signal }).catch((e) => e);
  assert.equal(err.message, "gone");
});

test("timers: interval yields numbered ticks on a virtual clock and ends when its task is cancelled", async () => {
  const clock = new VirtualClock();
  const ticks = [];
  await nursery(async (n) => {
    n.spawn(async (task) => {
      for await (const tick of interval(1_000, { signal: task.signal, clock })) {
        ticks.push([tick.index, tick.scheduledAt]);
        if (ticks.length === 3) n.cancel();
      }
    });
    while (ticks.length < 3) await clock.advance(1_000);
  });
  assert.deepEqual(ticks, [[1, 1_000], [2, 2_000], [3, 3_000]]);
  assert.equal(clock.pending, 0, "no timer is left behind");
});

test("timers: timeout rejects with TimeoutError and aborts the work's signal", async () => {
  // autojump: the clock moves to the next timer whenever nothing else is left to run.
  const clock = new VirtualClock();
  let workSignal;
  const pending = timeout(500, (signal) => {
    workSignal = signal;
    // Work that honours its signal: the scope waits for it to settle, as structure requires.
    return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
  }, { clock }).catch((e) => e);
  await clock.advance(500);
  const err = await pending;
  assert.ok(err instanceof TimeoutError);
  assert.equal(workSignal.aborted, true);
  assert.equal(await timeout(500, () => "in time", { clock }), "in time");
});
