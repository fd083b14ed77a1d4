// A request must not outlive its owner. Regression tests for the gap "a fetch from an ended task is
// still sent": fetch(task, ...) with a task that had already returned (a TaskContext captured in a
// closure) sent the request and only refused the body read. Now nothing is sent: no connection, no
// limiter slot, no timer, no listener, and the call rejects with TaskEndedError (phase "send").
// The same holds for a call the task did not await, when the task returns while the call waits
// for a limiter slot or sleeps through a retry backoff: it rejects, sending nothing more. For a core
// task the wait is cut short when the task ends (core's `onTaskEnd`); for an owner that only
// carries a `state`, it rejects when the wait ends (see src/fetch.ts, "Lifetime").
//
// The server's request count is the oracle for "nothing sent". A core task is listened to through
// hooks, not its signal, so the listener counts that can fail are taken on a `{ signal, state }`
// owner.
import { describe, expect, it } from "@jest/globals";
import { CancelledError, isCancellation, nursery, type TaskContext, type TaskState } from "@nursery/core";
import { eventLoopTurns, VirtualClock, type Settled } from "@nursery/core/testing";
import { fetch, Limiter, TaskEndedError, type FetchTask } from "@nursery/fetch";
import { listeners, until, serverPerTest } from "./support/server.js";

const start = serverPerTest();

/**
 * A core task that has returned: its context, captured while it ran. Wrapped in an object: at run
 * time the context is the Task, a thenable, which an async function would adopt, not return.
 */
async function endedTask(name: string, options: { clock?: VirtualClock } = {}): Promise<{ ended: TaskContext }> {
  let saved!: TaskContext;
  await nursery(
    (n) => {
      n.spawn((task) => void (saved = task), { name });
    },
    options.clock === undefined ? {} : { clock: options.clock },
  );
  expect(saved.state).toBe("fulfilled");
  return { ended: saved };
}

/**
 * Watches `promise` from now on, so its rejection is handled at once. The function returned gives
 * what it rejected with, and fails the test when it fulfilled or is still pending after a few
 * event-loop turns (a call that queued or sent would be: the test fails instead of hanging).
 */
function watch(promise: Promise<unknown>): () => Promise<unknown> {
  let result: Settled = { state: "pending" };
  promise.then(
    (value) => (result = { state: "fulfilled", value }),
    (error: unknown) => (result = { state: "rejected", error }),
  );
  return async () => {
    for (let turn = 0; turn < 30 && result.state === "pending"; turn++) await eventLoopTurns(1);
    expect(result.state).toBe("rejected");
    return (result as { error: unknown }).error;
  };
}

/** What `promise` rejects with within a few event-loop turns; see `watch`. */
function rejection(promise: Promise<unknown>): Promise<unknown> {
  return watch(promise)();
}

function sendMessage(method: string, url: string, task: string): string {
  return `cannot send ${method} ${url}: task "${task}" has ended; fetch inside the task and await it there`;
}

describe("fetch from a task that has ended", () => {
  it("rejects with TaskEndedError before anything is sent: the server never sees the request", async () => {
    const srv = await start();
    const { ended } = await endedTask("gone");
    const err = await rejection(fetch(ended, srv.url("/late")));
    expect(err).toBeInstanceOf(TaskEndedError);
    expect(err).toMatchObject({
      name: "TaskEndedError",
      code: "ERR_TASK_ENDED",
      phase: "send",
      method: "GET",
      url: srv.url("/late"),
      task: "gone",
    });
    expect((err as Error).message).toBe(sendMessage("GET", srv.url("/late"), "gone"));
    expect(isCancellation(err)).toBe(false);
    const post = await rejection(fetch(ended, srv.url("/form"), { method: "post", body: "x=1" }));
    expect((post as Error).message).toBe(sendMessage("POST", srv.url("/form"), "gone"));
    expect(srv.count).toBe(0);
    expect(listeners(ended.signal)).toBe(0);
  });

  it("takes no limiter slot and does not queue, even on a full limiter", async () => {
    const srv = await start();
    const limiter = new Limiter({ limit: 1 });
    const { ended } = await endedTask("gone");
    const err = await rejection(fetch(ended, srv.url(), { limiter }));
    expect((err as Error).message).toBe(sendMessage("GET", srv.url(), "gone"));
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
    const held = await limiter.acquire();
    // A full limiter: a call that queued would stay pending until the slot is released.
    expect(await rejection(fetch(ended, srv.url(), { limiter }))).toBeInstanceOf(TaskEndedError);
    expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
    held.release();
    expect(srv.count).toBe(0);
  });

  it("with retry, timeout and deadline configured, sets no timer on the task's clock and sends nothing", async () => {
    const srv = await start(({ res }) => {
      res.statusCode = 503;
      res.end("busy");
    });
    const clock = new VirtualClock();
    const { ended } = await endedTask("gone", { clock });
    const err = await rejection(fetch(ended, srv.url(), { retry: 3, timeout: 1_000, deadline: 10_000 }));
    expect((err as Error).message).toBe(sendMessage("GET", srv.url(), "gone"));
    expect(clock.pending).toBe(0);
    await clock.advance(60_000); // a retry scheduled anyway would go out now
    expect(srv.count).toBe(0);
  });

  it("leaves no listener on the signal of an owner with a state, nor on extraSignal, and names an unnamed owner", async () => {
    const srv = await start();
    const controller = new AbortController();
    const extra = new AbortController();
    const owner: FetchTask = { signal: controller.signal, state: "rejected" };
    const err = await rejection(fetch(owner, srv.url(), { extraSignal: extra.signal }));
    expect(err).toMatchObject({ phase: "send", task: undefined });
    expect((err as Error).message).toBe(
      `cannot send GET ${srv.url()}: the task that owns it has ended; fetch inside the task and await it there`,
    );
    expect(listeners(controller.signal)).toBe(0);
    expect(listeners(extra.signal)).toBe(0);
    expect(srv.count).toBe(0);
  });

  it("rejects with the task's own CancelledError when the ended task had been cancelled", async () => {
    const srv = await start();
    let saved!: TaskContext;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        saved = task;
        await new Promise((resolve) => task.signal.addEventListener("abort", resolve));
      });
      t.cancel();
    });
    expect(saved.state).not.toBe("running");
    const err = await rejection(fetch(saved, srv.url()));
    expect(err).toBeInstanceOf(CancelledError);
    expect(err).toBe(saved.signal.reason);
    expect(srv.count).toBe(0);
  });

  it("leaves owners without a state alone: a `{ signal }` and a nursery still fetch", async () => {
    const srv = await start();
    const controller = new AbortController();
    expect(await (await fetch({ signal: controller.signal }, srv.url("/signal"))).text()).toBe("hello");
    const text = await nursery(async (n) => (await fetch(n, srv.url("/nursery"))).text());
    expect(text).toBe("hello");
    expect(srv.count).toBe(2);
  });
});

describe("fetch whose task ends while it waits", () => {
  it("rejects with TaskEndedError as soon as its task returns, sends nothing, and leaves the limiter's queue", async () => {
    const srv = await start();
    const clock = new VirtualClock();
    const limiter = new Limiter({ limit: 1 });
    const held = await limiter.acquire();
    let rejected!: () => Promise<unknown>;
    let next: Promise<unknown> | undefined;
    await nursery(
      async (n) => {
        const t = n.spawn(
          (task) => {
            // Not awaited: the task returns while the call waits for a slot.
            rejected = watch(fetch(task, srv.url("/queued"), { limiter, deadline: 60_000 }));
          },
          { name: "hasty" },
        );
        await t;
        expect(t.state).toBe("fulfilled");
        // The task's end cut the wait short: the call rejected while the slot was still held.
        const err = await rejected();
        expect(err).toBeInstanceOf(TaskEndedError);
        expect((err as Error).message).toBe(sendMessage("GET", srv.url("/queued"), "hasty"));
        expect(err).toMatchObject({ phase: "send" });
        expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
        next = limiter.acquire();
        held.release(); // the slot goes to the next waiter...
      },
      { clock },
    );
    // ...since the ended task's call is no longer queued.
    const slot = (await next) as { release(): void };
    expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
    slot.release();
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
    expect(clock.pending).toBe(0); // the deadline timer is cleared
    expect(srv.count).toBe(0);
  });

  it("rejects with TaskEndedError when a retry backoff ends, sends no retry, and does not queue for a slot", async () => {
    const srv = await start(({ res }) => {
      res.statusCode = 503;
      res.setHeader("retry-after", "5");
      res.end("busy");
    });
    const clock = new VirtualClock();
    const limiter = new Limiter({ limit: 1 });
    let rejected!: () => Promise<unknown>;
    await nursery(
      async (n) => {
        const t = n.spawn(
          async (task) => {
            rejected = watch(fetch(task, srv.url("/busy"), { retry: 3, limiter }));
            await until(() => clock.pending === 1); // the 503 came; the call sleeps 5 s, holding no slot
          },
          { name: "impatient" },
        );
        await t;
        expect(srv.count).toBe(1);
        const held = await limiter.acquire(); // a retry that went ahead would queue behind this slot
        await clock.advance(5_000);
        const err = await rejected();
        expect(err).toBeInstanceOf(TaskEndedError);
        expect((err as Error).message).toBe(sendMessage("GET", srv.url("/busy"), "impatient"));
        expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
        held.release();
      },
      { clock },
    );
    expect(srv.count).toBe(1);
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
    expect(clock.pending).toBe(0);
  });

  it("on an owner with a state, leaves no listener on its signal once a wait ends after the owner did", async () => {
    const srv = await start();
    const limiter = new Limiter({ limit: 1 });
    const held = await limiter.acquire();
    const controller = new AbortController();
    const owner: { signal: AbortSignal; name: string; state: TaskState } = {
      signal: controller.signal,
      name: "worker",
      state: "running",
    };
    const rejected = watch(fetch(owner, srv.url(), { limiter }));
    await until(() => limiter.waiting === 1);
    expect(listeners(controller.signal)).toBe(1); // the request's one listener, while it waits
    owner.state = "fulfilled";
    held.release();
    const err = await rejected();
    expect((err as Error).message).toBe(sendMessage("GET", srv.url(), "worker"));
    expect(listeners(controller.signal)).toBe(0);
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
    expect(srv.count).toBe(0);
  });
});
