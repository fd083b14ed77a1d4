import { describe, expect, it } from "@jest/globals";
import { CancelledError, NurseryError, isCancellation, nursery } from "@nursery/core";
import { ensure, run, suspend } from "effection";
import { callWithSignal } from "@nursery/effection";
import { deferred, untilAborted } from "./helpers.js";

describe("callWithSignal", () => {
  it("yields the async function's value", async () => {
    let seen: AbortSignal | undefined;
    const value = await run(function* () {
      return yield* callWithSignal(async (signal) => {
        seen = signal;
        return 42;
      });
    });
    expect(value).toBe(42);
    expect(seen?.aborted).toBe(false);
  });

  it("throws the function's error where the operation can catch it", async () => {
    const boom = new Error("boom");
    const outcome = await run(function* () {
      try {
        yield* callWithSignal(() => Promise.reject(boom));
        return "not reached";
      } catch (error) {
        return error;
      }
    });
    expect(outcome).toBe(boom);
  });

  it("throws a synchronous throw from the function as the operation's error", async () => {
    const boom = new Error("sync boom");
    await expect(
      run(function* () {
        yield* callWithSignal(() => {
          throw boom;
        });
      }),
    ).rejects.toBe(boom);
  });

  it("aborts the signal on halt and waits for the function to settle before the halt completes", async () => {
    const log: string[] = [];
    const started = deferred();
    const cleanupStarted = deferred();
    const gate = deferred();
    let reason: unknown;
    const task = run(function* () {
      yield* ensure(() => void log.push("ensure registered before the call"));
      yield* callWithSignal(async (signal) => {
        try {
          started.resolve();
          await untilAborted(signal);
        } finally {
          reason = signal.reason;
          log.push("async cleanup starts");
          cleanupStarted.resolve();
          await gate.promise;
          log.push("async cleanup ends");
        }
      });
      log.push("code after the call ran");
    });
    await started.promise;
    let halted = false;
    const halt = Promise.resolve(task.halt()).then(() => (halted = true));
    await cleanupStarted.promise;
    expect(halted).toBe(false);
    gate.resolve();
    await halt;
    expect(log).toEqual(["async cleanup starts", "async cleanup ends", "ensure registered before the call"]);
    expect(reason).toBeInstanceOf(CancelledError);
    expect((reason as CancelledError).reason.source).toBe("parent");
  });

  it("rejects the halt with a non-cancellation error the function throws while being cancelled", async () => {
    const started = deferred();
    const cleanupError = new Error("cleanup failed");
    const task = run(function* () {
      yield* callWithSignal(async (signal) => {
        started.resolve();
        await untilAborted(signal).catch(() => undefined);
        throw cleanupError;
      });
    });
    await started.promise;
    await expect(Promise.resolve(task.halt())).rejects.toBe(cleanupError);
  });

  it("turns a nursery into an operation: halting cancels its children in reverse order and waits", async () => {
    const log: string[] = [];
    const ready = deferred();
    const lastCleanupStarted = deferred();
    const gate = deferred();
    const task = run(function* () {
      yield* callWithSignal((signal) =>
        nursery(
          async (n) => {
            for (const name of ["first", "second", "third"]) {
              n.spawn(async ({ signal: childSignal }) => {
                try {
                  await untilAborted(childSignal);
                } finally {
                  if (name === "first") {
                    lastCleanupStarted.resolve();
                    await gate.promise;
                  }
                  log.push(`${name} cleanup`);
                }
              });
            }
            ready.resolve();
            await untilAborted(n.signal);
          },
          { signal },
        ),
      );
    });
    await ready.promise;
    const halt = Promise.resolve(task.halt()).then(() => void log.push("halt resolved"));
    await lastCleanupStarted.promise;
    gate.resolve();
    await halt;
    expect(log).toEqual(["third cleanup", "second cleanup", "first cleanup", "halt resolved"]);
  });

  it("fails the operation with the NurseryError of a nursery run through it", async () => {
    const boom = new Error("boom");
    const error = await run(function* () {
      yield* callWithSignal((signal) =>
        nursery(
          (n) => {
            n.spawn(() => {
              throw boom;
            });
          },
          { signal },
        ),
      );
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NurseryError);
    expect(isCancellation(error)).toBe(false);
    expect((error as NurseryError).errors).toEqual([boom]);
  });

  it("throws a TypeError in the house shape when fn is not a function", () => {
    expect(() => callWithSignal("x" as never)).toThrow(new TypeError('Expected `fn` to be a function, got `"x"` (string)'));
  });
});
