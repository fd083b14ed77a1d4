import { describe, expect, it } from "@jest/globals";
import { NurseryError, nursery } from "@nursery/core";
import { WorkerError, openPool, type WorkerPool } from "@nursery/workers";
import { pathToFileURL } from "node:url";
import { expectInvalidArgument } from "@nursery/core/testing";
import { JOBS, eventLog, waitForEvent } from "./support.js";

/** Runs one job in a nursery of its own and returns what that nursery failed with. */
async function failureOf(exportName: string, run?: (pool: WorkerPool, n: Parameters<WorkerPool["run"]>[0]) => Promise<void>): Promise<unknown> {
  let failure: unknown;
  await nursery(async (n) => {
    const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
    try {
      await nursery(async (inner) => {
        if (run !== undefined) await run(pool, inner);
        else pool.run(inner, undefined, { export: exportName });
      }, { signal: n.signal });
    } catch (err) {
      failure = err;
    }
    pool.close();
  });
  expect(failure).toBeInstanceOf(NurseryError);
  const errors = (failure as NurseryError).errors;
  expect(errors).toHaveLength(1);
  return errors[0];
}

describe("errors thrown in a worker", () => {
  it("reach the nursery with name, message, stack, cause and fields", async () => {
    const err = (await failureOf("fail")) as Error & { code: string; file: string; cause: Error & { cause: unknown } };
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("HashError");
    expect(err.message).toBe("cannot hash a.txt");
    expect(err.stack).toMatch(/^HashError: cannot hash a\.txt\n\s+at .*jobs\.mjs/);
    expect(err.code).toBe("ERR_HASH");
    expect(err.file).toBe("a.txt");
    expect(err.cause).toBeInstanceOf(RangeError);
    expect(err.cause.message).toBe("offset out of range");
    expect(err.cause.stack).toMatch(/jobs\.mjs/);
    expect(err.cause.cause).toEqual({ errno: 5 });
  });

  it("keep an AggregateError's errors", async () => {
    const err = (await failureOf("failAsync")) as AggregateError;
    expect(err).toBeInstanceOf(AggregateError);
    expect(err.message).toBe("two things failed");
    expect(err.errors.map((e: Error) => `${e.name}: ${e.message}`)).toEqual(["TypeError: first", "Error: second"]);
  });

  it("reject with a thrown non-Error value as it is", async () => {
    expect(await failureOf("throwString")).toBe("plain text");
  });

  it("regression: an error whose getters throw arrives as the job's error with what could be read, not as a crashed thread", async () => {
    const err = (await failureOf("unreadableError")) as Error & { file: string };
    expect(err).not.toBeInstanceOf(WorkerError);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe("cannot hash a.txt");
    expect(err.file).toBe("a.txt");
    expect(Object.keys(err)).not.toContain("code"); // the field that threw is left out
  });

  it("regression: a thrown Proxy whose traps throw arrives as a text saying so, not as a crashed thread", async () => {
    expect(await failureOf("throwProxy")).toBe("a value that cannot be converted to a string");
  });

  it("report an error thrown by a cancelled job's cleanup instead of the cancellation", async () => {
    const err = await failureOf("cleanupFails", async (pool, inner) => {
      const log = eventLog();
      const job = pool.run(inner, { log }, { export: "cleanupFails" });
      await waitForEvent(log, "started");
      job.cancel();
    });
    expect((err as Error).message).toBe("flush failed during cleanup");
  });
});

describe("a worker thread that dies", () => {
  it("fails its job with ERR_WORKER_EXIT when the worker calls process.exit()", async () => {
    const err = (await failureOf("exit")) as WorkerError;
    expect(err).toBeInstanceOf(WorkerError);
    expect(err.code).toBe("ERR_WORKER_EXIT");
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/job "job jobs\.mjs#exit" exited with code 3 before the job finished \(process\.exit\(\) in the worker/);
  });

  it("fails its job with ERR_WORKER_CRASHED on an uncaught exception in the worker", async () => {
    const err = (await failureOf("crash")) as WorkerError;
    expect(err.code).toBe("ERR_WORKER_CRASHED");
    expect(err.message).toMatch(/crashed: thrown in a timer of the worker/);
    expect((err.cause as Error).message).toBe("thrown in a timer of the worker");
  });

  it("fails its job with ERR_WORKER_CRASHED when its result cannot be cloned", async () => {
    const err = (await failureOf("unclonable")) as WorkerError;
    expect(err.code).toBe("ERR_WORKER_CRASHED");
    expect(err.message).toMatch(/could not be sent to the main thread/);
  });

  it("is replaced, so the next job runs", async () => {
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      await nursery(async (inner) => {
        pool.run(inner, undefined, { export: "exit" });
      }, { signal: n.signal }).catch(() => undefined);
      expect(await pool.run(n, "still works")).toBe("still works");
      pool.close();
    });
  });
});

describe("a job whose input cannot be sent", () => {
  it.each([
    ["a function as input", () => 1, undefined, "input"],
    ["a symbol as input", Symbol("s"), undefined, "input"],
    ["a number in the transfer list", 1, [1], "transfer"],
    ["the same buffer twice in the transfer list", "buffer", "twice", "transfer"],
  ])("regression: %s rejects with a TypeError naming it, not ERR_WORKER_LOAD", async (_, given, transfer, name) => {
    const buffer = new ArrayBuffer(4);
    const input = given === "buffer" ? buffer : given;
    const list = transfer === "twice" ? [buffer, buffer] : transfer;
    const err = await failureOf("echo", async (pool, inner) => {
      pool.run(inner, input, { export: "echo", ...(list === undefined ? {} : { transfer: list as never }) });
    });
    expectInvalidArgument(err, name);
    expect((err as Error).cause).toMatchObject({ message: expect.any(String) });
  });

  it("leaves the pool running the next job", async () => {
    await nursery(async (n) => {
      const pool = openPool(n, JOBS, { maxThreads: 1, minThreads: 1 });
      await nursery(async (inner) => {
        pool.run(inner, () => 1, { export: "echo" });
      }, { signal: n.signal }).catch(() => undefined);
      expect(pool.running + pool.queued).toBe(0);
      expect(await pool.run(n, "next")).toBe("next");
      pool.close();
    });
  });
});

describe("a job that cannot start", () => {
  it("fails with a TypeError when it returns a function", async () => {
    const err = (await failureOf("returnsFunction")) as Error;
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('job "job jobs.mjs#returnsFunction" returned a function, which cannot be sent to the main thread');
  });

  it("fails with ERR_WORKER_LOAD for an export not made with defineJob()", async () => {
    const err = (await failureOf("plain")) as WorkerError;
    expect(err.code).toBe("ERR_WORKER_LOAD");
    expect(err.message).toMatch(/export `plain` of .*jobs\.mjs is not a job: wrap the function with defineJob\(\)/);
  });

  it("fails with ERR_WORKER_LOAD for a missing export", async () => {
    const err = (await failureOf("nope")) as WorkerError;
    expect(err.code).toBe("ERR_WORKER_LOAD");
    expect(err.message).toMatch(/could not start: No handler function exported/);
  });

  it("fails with ERR_WORKER_LOAD for a missing module", async () => {
    let failure: unknown;
    await nursery(async (n) => {
      const pool = openPool(n, pathToFileURL("/nonexistent/jobs.mjs"), { maxThreads: 1, minThreads: 0 });
      await nursery(async (inner) => {
        pool.run(inner, 1);
      }, { signal: n.signal }).catch((err: unknown) => (failure = err));
      pool.close();
    });
    const err = (failure as NurseryError).errors[0] as WorkerError;
    expect(err.code).toBe("ERR_WORKER_LOAD");
    expect(err.message).toMatch(/nonexistent/);
  });
});
