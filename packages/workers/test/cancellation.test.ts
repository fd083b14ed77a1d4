import { describe, expect, it } from "@jest/globals";
import { CancelledError, isCancellation, nursery } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { JobCancelledError, openPool } from "@nursery/workers";
import { JOBS, eventLog, events, waitForEvent } from "./support.js";

describe("cancelling a running job", () => {
  it("stops a CPU loop that calls checkpoint() and runs its finally in the worker", async () => {
    const log = eventLog();
    let caught: unknown;
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const job = pool.run(n, { log }, { export: "spin", name: "spin" });
      await waitForEvent(log, "started");
      job.cancel("enough");
      caught = await job.then(undefined, (err: unknown) => err);
      expect(job.outcome).toBe("stopped");
      pool.close();
    });
    expect(events(log)).toEqual(["started", "cleanup"]);
    expect(caught).toBeInstanceOf(JobCancelledError);
    expect((caught as JobCancelledError).outcome).toBe("stopped");
    expect((caught as Error).message).toMatch(/job "spin" stopped in its worker thread/);
  });

  it("stops a CPU loop that polls job.signal.aborted", async () => {
    const log = eventLog();
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const job = pool.run(n, { log }, { export: "poll" });
      await waitForEvent(log, "started");
      job.cancel();
      await expect(job).rejects.toMatchObject({ outcome: "stopped" });
      pool.close();
    });
    expect(events(log)).toEqual(["started", "cleanup"]);
  });

  it("aborts job.signal as an event for async work in the worker", async () => {
    const log = eventLog();
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const job = pool.run(n, { log }, { export: "wait" });
      await waitForEvent(log, "started");
      job.cancel();
      await expect(job).rejects.toMatchObject({ outcome: "stopped" });
      pool.close();
    });
    expect(events(log)).toEqual(["started", "cleanup"]);
  });

  it("tears nurseries opened inside the worker down newest-first there", async () => {
    const log = eventLog();
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const job = pool.run(n, { log }, { export: "nested" });
      await waitForEvent(log, "started");
      job.cancel();
      await expect(job).rejects.toMatchObject({ outcome: "stopped" });
      pool.close();
    });
    expect(events(log)).toEqual(["started", "childC", "childB", "childA"]);
  });

  it("gives the worker a CancelledError with the caller's source and detail", async () => {
    const log = eventLog();
    let seen: unknown;
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const job = pool.run(n, { log }, { export: "reason", name: "hash a.txt" });
      await waitForEvent(log, "started");
      job.cancel("user pressed stop");
      seen = await job;
      pool.close();
    });
    expect(seen).toEqual({
      name: "CancelledError",
      source: "explicit",
      detail: "user pressed stop",
      message: 'cancelled: task "hash a.txt" was cancelled (nursery "nursery"): user pressed stop',
    });
  });

  it("regression: a job whose name is 100 CJK characters still sees the caller's source and detail", async () => {
    const log = eventLog();
    const name = "任".repeat(100); // 300 bytes of UTF-8: more than a slot holds for the reason
    let seen: unknown;
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const job = pool.run(n, { log }, { export: "reason", name });
      await waitForEvent(log, "started");
      job.cancel("user pressed stop");
      seen = await job;
      pool.close();
    });
    expect(seen).toMatchObject({ name: "CancelledError", source: "explicit", detail: "user pressed stop" });
  });

  it("terminates a job that ignores cancellation once its grace passed, and the pool replaces its thread", async () => {
    const clock = new VirtualClock();
    const log = eventLog();
    await nursery(
      async (n) => {
        const pool = openPool<unknown, number>(n, JOBS, { maxThreads: 1, minThreads: 1, grace: 1000 });
        const before = await pool.run(n, undefined, { export: "thread" });
        const job = pool.run(n, { log }, { export: "stubborn", name: "stubborn" });
        await waitForEvent(log, "started");
        job.cancel();
        await waitForEvent(log, "sawCancel");
        // The job saw the cancellation and ignored it; within the grace its thread is left alone.
        await clock.advance(999);
        expect(job.state).toBe("running");
        await clock.advance(1);
        const err = await job.then(undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(JobCancelledError);
        expect((err as JobCancelledError).outcome).toBe("terminated");
        expect((err as Error).message).toMatch(/did not stop within its 1000 ms grace; its worker thread was terminated/);
        const after = await pool.run(n, undefined, { export: "thread" });
        expect(after).not.toBe(before);
        expect(pool.threads).toBe(1);
        pool.close();
      },
      { clock },
    );
    expect(events(log)).toEqual(["started", "sawCancel"]);
  });

  it("terminates at once with grace 0", async () => {
    const log = eventLog();
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const job = pool.run(n, { log }, { export: "stubborn", grace: 0 });
      await waitForEvent(log, "started");
      job.cancel();
      await expect(job).rejects.toMatchObject({ outcome: "terminated" });
      pool.close();
    });
  });
});

describe("cancelling a queued job", () => {
  it("removes 1,000 queued jobs at once and leaves no entry behind", async () => {
    const log = eventLog();
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const blocker = pool.run(n, { log }, { export: "wait", name: "blocker" });
      await waitForEvent(log, "started");
      const queued: Array<{ outcome: unknown; state: string }> = [];
      await nursery(async (inner) => {
        for (let i = 0; i < 1000; i++) queued.push(pool.run(inner, i, { name: `echo ${i}` }));
        expect(pool.queued).toBe(1000);
        inner.cancel();
      });
      expect(queued.every((job) => job.outcome === "dequeued" && job.state === "cancelled")).toBe(true);
      expect(pool.queued).toBe(0);
      expect(pool.running).toBe(1);
      expect(n.children.map((task) => task.name)).toEqual(["pool jobs.mjs", "blocker"]);
      blocker.cancel();
      await expect(blocker).rejects.toMatchObject({ outcome: "stopped" });
      expect(pool.running).toBe(0);
      pool.close();
    });
  });

  it("removes a job that no thread has started yet, and the thread then skips it", async () => {
    await nursery(async (n) => {
      // A fresh pool: the job is handed to piscina while its thread is still starting.
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const job = pool.run(n, "never");
      expect(pool.running).toBe(1);
      job.cancel();
      await expect(job).rejects.toMatchObject({ outcome: "dequeued" });
      expect(await pool.run(n, "next")).toBe("next");
      expect(pool.running).toBe(0);
      pool.close();
    });
  });

  it("does not start a job spawned into a cancelled nursery", async () => {
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      await nursery(async (inner) => {
        inner.cancel();
        const job = pool.run(inner, "never");
        await expect(job).rejects.toMatchObject({ outcome: "dequeued" });
        expect(pool.running + pool.queued).toBe(0);
      });
      pool.close();
    });
  });
});

describe("JobCancelledError", () => {
  it("is a CancelledError with the task's reason and that reason as cause", async () => {
    let caught: unknown;
    let taskReason: unknown;
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const log = eventLog();
      const job = pool.run(n, { log }, { export: "wait", name: "waiter" });
      await waitForEvent(log, "started");
      job.cancel("stop now");
      caught = await job.then(undefined, (err: unknown) => err);
      expect(job.outcome).toBe("stopped");
      pool.close();
    });
    expect(caught).toBeInstanceOf(CancelledError);
    expect(isCancellation(caught)).toBe(true);
    const err = caught as JobCancelledError;
    taskReason = err.cause;
    expect(taskReason).toBeInstanceOf(CancelledError);
    expect(err.reason).toEqual((taskReason as CancelledError).reason);
    expect(err.reason).toMatchObject({ source: "explicit", detail: "stop now", task: "waiter" });
    expect(err.code).toBe("ERR_CANCELLED");
  });

  it("does not fail the nursery, which resolves after cancel()", async () => {
    const log = eventLog();
    const value = await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      pool.run(n, { log }, { export: "spin" });
      await waitForEvent(log, "started");
      n.cancel();
      return "body value";
    });
    expect(value).toBe("body value");
    expect(events(log)).toEqual(["started", "cleanup"]);
  });
});

describe("a job owned by a task", () => {
  it("is cancelled when its owner task is cancelled", async () => {
    const log = eventLog();
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      let job: { outcome: unknown } | undefined;
      const owner = n.spawn(async (task) => {
        const running = pool.run(task, { log }, { export: "spin" });
        job = running;
        await running;
      }, { name: "owner" });
      await waitForEvent(log, "started");
      owner.cancel();
      await expect(owner).rejects.toBeInstanceOf(CancelledError);
      await new Promise((resolve) => setImmediate(resolve));
      expect(job?.outcome).toBe("stopped");
      pool.close();
    });
    expect(events(log)).toEqual(["started", "cleanup"]);
  });
});
