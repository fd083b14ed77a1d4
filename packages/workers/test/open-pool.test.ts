import { describe, expect, it } from "@jest/globals";
import { NurseryClosedError, nursery } from "@nursery/core";
import { dumpTree } from "@nursery/core/debug";
import { INVALID_ARGUMENT_MESSAGE, expectInvalidArgument, thrown } from "@nursery/core/testing";
import { WorkerError, openPool, type WorkerPool } from "@nursery/workers";
import { JOBS, eventLog, waitForEvent } from "./support.js";

describe("openPool", () => {
  it("runs a job as a named task in the caller's nursery, shown in its task tree", async () => {
    const log = eventLog();
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1, name: "hashers" });
      const job = pool.run(n, { log }, { export: "spin", name: "hash a.txt" });
      await waitForEvent(log, "started");
      expect(job.name).toBe("hash a.txt");
      expect(job.state).toBe("running");
      expect(n.children.map((task) => task.name)).toEqual(["hashers", "hash a.txt"]);
      expect(dumpTree(n)).toMatch(/├─ hashers \[running, .*\]\n└─ hash a\.txt \[running, .*\]/);
      job.cancel();
      await job.then(undefined, () => undefined);
      pool.close();
    }, { name: "app" });
  });

  it("resolves a job's task with the job's value", async () => {
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 2 });
      const results = await Promise.all([1, 2, 3, 4].map((i) => pool.run(n, { i }, { export: "echo" })));
      expect(results).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]);
      pool.close();
    });
  });

  it("moves the buffers given as transfer to the worker instead of copying them", async () => {
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      const buffer = new Uint8Array([1, 2, 3]).buffer;
      const echoed = await pool.run(n, buffer, { export: "echo", transfer: [buffer] });
      expect(buffer.byteLength).toBe(0);
      expect([...new Uint8Array(echoed as ArrayBuffer)]).toEqual([1, 2, 3]);
      pool.close();
    });
  });

  it("keeps its nursery open until closed, and leaves no thread after it", async () => {
    let pool: { threads: number } | undefined;
    let closed = false;
    const done = nursery(async (n) => {
      const p = openPool(n, JOBS, { maxThreads: 2, minThreads: 2 });
      pool = p;
      await p.run(n, 1);
      setImmediate(() => {
        closed = true;
        void p.close();
      });
    });
    await done;
    expect(closed).toBe(true);
    expect(pool?.threads).toBe(0);
  });

  it("closes when its nursery is cancelled, after stopping its jobs newest-first", async () => {
    const order: string[] = [];
    const logs = [eventLog(), eventLog()];
    let threads = -1;
    let pool: WorkerPool | undefined;
    await nursery(async (n) => {
      pool = openPool(n, JOBS, { maxThreads: 2, minThreads: 2 });
      for (const [i, log] of logs.entries()) {
        const job = (pool as WorkerPool).run(n, { log }, { export: "spin", name: `job-${i + 1}` });
        void job.then(undefined, () => {
          order.push(`${job.name} ${job.outcome}`);
          if (threads === -1) threads = pool?.threads ?? -1;
        });
      }
      for (const log of logs) await waitForEvent(log, "started");
      n.cancel();
    });
    // Both stopped cooperatively (a destroyed pool would have failed job-1): the pool went last.
    expect(order).toEqual(["job-2 stopped", "job-1 stopped"]);
    expect(threads).toBe(2);
    expect(pool?.threads).toBe(0);
  });

  it("cancels, on its own cancellation, jobs running in another nursery", async () => {
    const log = eventLog();
    let outcome: unknown;
    await nursery(async (outer) => {
      await nursery(async (n) => {
        const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
        const job = pool.run(outer, { log }, { export: "spin" });
        void job.then(undefined, () => (outcome = job.outcome));
        await waitForEvent(log, "started");
        n.cancel();
      });
    });
    expect(outcome).toBe("stopped");
  });

  it("throws ERR_POOL_CLOSED for a job after close()", async () => {
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 0 });
      void pool.close();
      const err = thrown(() => pool.run(n, 1));
      expect(err).toBeInstanceOf(WorkerError);
      expect((err as WorkerError).code).toBe("ERR_POOL_CLOSED");
    });
  });

  it("throws NurseryClosedError into a finished nursery and starts no thread", async () => {
    let finished: Parameters<typeof openPool>[0] | undefined;
    await nursery((n) => {
      finished = n;
    });
    expect(thrown(() => openPool(finished as never, JOBS))).toBeInstanceOf(NurseryClosedError);
  });

  it("regression: throws a TypeError naming a resource limit that is not a positive number (new Worker() would ignore it), starting no thread", async () => {
    await nursery(async (n) => {
      for (const limits of [{ maxOldGenerationSizeMb: "64" }, { stackSizeMb: 0 }, { maxYoungGenerationSizeMb: Number.NaN }]) {
        const [key] = Object.keys(limits) as [string];
        expectInvalidArgument(thrown(() => openPool(n, JOBS, { minThreads: 1, resourceLimits: limits as never })), `resourceLimits.${key}`);
      }
      expect(n.children).toEqual([]);
    });
  });

  it("regression: refuses execArgv flags a thread does not accept at openPool, also with minThreads 0 (the first job used to wait forever, and close() with it)", async () => {
    await nursery(async (n) => {
      for (const minThreads of [0, 1]) {
        const err = thrown(() => openPool(n, JOBS, { minThreads, execArgv: ["--no-such-flag-for-nursery"] }));
        expectInvalidArgument(err, "execArgv");
        expect((err as Error).cause).toMatchObject({ code: "ERR_WORKER_INVALID_EXEC_ARGV" });
      }
      expect(n.children).toEqual([]);
      const pool = openPool(n, JOBS, { minThreads: 0, maxThreads: 1, execArgv: ["--no-warnings"] });
      expect(await pool.run(n, { i: 1 }, { export: "echo" })).toEqual({ i: 1 });
      pool.close();
    });
  });

  it("throws a TypeError in the house shape for bad arguments", async () => {
    await nursery(async (n) => {
      expectInvalidArgument(thrown(() => openPool({} as never, JOBS)), "owner");
      expectInvalidArgument(thrown(() => openPool(n, "relative/jobs.mjs")), "worker");
      expectInvalidArgument(thrown(() => openPool(n, JOBS, { grace: -1 })), "grace");
      expectInvalidArgument(thrown(() => openPool(n, JOBS, { maxThreads: 0 })), "maxThreads");
      expectInvalidArgument(thrown(() => openPool(n, JOBS, { minThreads: 3, maxThreads: 2 })), "minThreads");
      expectInvalidArgument(thrown(() => openPool(n, JOBS, "x" as never)), "options");
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 0 });
      expectInvalidArgument(thrown(() => pool.run(42 as never, 1)), "owner");
      expectInvalidArgument(thrown(() => pool.run(n, 1, { name: 5 as never })), "name");
      expectInvalidArgument(thrown(() => pool.run(n, 1, { grace: Number.NaN })), "grace");
      expect((thrown(() => pool.run(n, 1, { transfer: 1 as never })) as Error).message).toMatch(INVALID_ARGUMENT_MESSAGE);
      expect(pool.queued + pool.running).toBe(0);
      pool.close();
    });
  });
});

describe("openPool: threads at close", () => {
  it("regression: close() resolves only once every thread the pool had exited, also one piscina let go as idle (exiting mid-teardown can abort the process)", async () => {
    type Thread = { threadId: number; terminate(): Promise<number>; once(e: "exit", f: () => void): void };
    const seen: Thread[] = [];
    const letGo: Thread[] = [];
    // Holds the end of a thread piscina lets go as idle (it calls terminate() and forgets the
    // thread), so that thread is still ending when close() runs: the moment the crash needed.
    let releaseLetGo!: () => void;
    const letGoGate = new Promise<void>((resolve) => (releaseLetGo = resolve));
    let closing = false;
    try {
      await nursery(async (n) => {
        const pool = openPool(n, JOBS, { maxThreads: 2, minThreads: 1 });
        const piscina = (pool as unknown as { piscina: { threads: Thread[]; on(e: string, f: () => void): void } }).piscina;
        const note = (): void => {
          for (const worker of piscina.threads) {
            if (seen.includes(worker)) continue;
            seen.push(worker);
            const terminate = worker.terminate.bind(worker);
            worker.terminate = () => {
              if (closing) return terminate();
              letGo.push(worker);
              return letGoGate.then(terminate);
            };
          }
        };
        piscina.on("workerCreate", note);
        note();
        // Two jobs running at once: two threads; when both end, piscina keeps one (minThreads 1).
        const logs = [eventLog(), eventLog()];
        const jobs = logs.map((log) => pool.run(n, { log }, { export: "wait" }));
        await Promise.all(logs.map((log) => waitForEvent(log, "started")));
        note();
        for (const job of jobs) job.cancel();
        await Promise.all(jobs.map((job) => job.then(undefined, () => undefined)));
        while (letGo.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        expect(seen).toHaveLength(2);
        const [idle] = letGo as [Thread];
        const kept = seen.find((worker) => worker !== idle) as Thread;
        expect(idle.threadId).not.toBe(-1);

        closing = true;
        let closed = false;
        const whenClosed = pool.close().then(() => (closed = true));
        // piscina's destroy() waits for the kept thread's exit only; a turn after it, a close()
        // that trusted destroy() has resolved while the let-go thread is still running.
        await new Promise<void>((resolve) => kept.once("exit", resolve));
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        expect(closed).toBe(false);
        releaseLetGo();
        await whenClosed;
        expect(seen.map((w) => w.threadId)).toEqual(seen.map(() => -1));
      });
    } finally {
      releaseLetGo();
    }
  });
});
