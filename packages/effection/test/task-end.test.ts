// runOperation(task, operation) when the task does not await the operation: the operation ends
// with its task (halted, its cleanup run before the nursery settles, a cleanup error reported by
// the nursery), and an operation owned by a nursery keeps that nursery open until it ends.
import { describe, expect, it } from "@jest/globals";
import { ensure, suspend, until } from "effection";
import { CancelledError, NurseryError, nursery } from "@nursery/core";
import { eventLoopTurns, settledWithin } from "@nursery/core/testing";
import { runOperation } from "@nursery/effection";
import { deferred } from "./helpers.js";

const settledOutcome = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => "resolved",
    (err: unknown) => err,
  );

describe("runOperation(task, operation) not awaited by its task", () => {
  it("regression: is halted when the task returns; its cleanup runs before the nursery settles and nothing of it runs after", async () => {
    const log: string[] = [];
    const gate = deferred();
    await nursery(async (n) => {
      n.spawn((task) => {
        void runOperation(task, function* () {
          try {
            log.push("operation started");
            yield* until(gate.promise);
            log.push("operation went on after its task ended");
          } finally {
            // Async cleanup: the nursery must wait for it, not only for the halt to begin.
            yield* until(new Promise((resolve) => setImmediate(resolve)));
            log.push("cleanup");
          }
        });
        log.push("task returns");
      });
    });
    log.push("nursery settled");
    gate.resolve();
    await eventLoopTurns(5);
    expect(log).toEqual(["operation started", "task returns", "cleanup", "nursery settled"]);
  });

  it("regression: a cleanup that throws during that halt fails the nursery with its error", async () => {
    const boom = new Error("cleanup failed");
    const outcome = await settledOutcome(
      nursery(async (n) => {
        n.spawn((task) => {
          void runOperation(task, function* () {
            yield* ensure(() => {
              throw boom;
            });
            yield* suspend();
          });
        });
      }),
    );
    expect(outcome).toBeInstanceOf(NurseryError);
    expect((outcome as NurseryError).errors).toEqual([boom]);
  });

  it("rejects the promise with a cancellation naming the task's end, for code that does await it later", async () => {
    let running: Promise<unknown> | undefined;
    await nursery(async (n) => {
      n.spawn((task) => {
        running = runOperation(task, function* () {
          yield* suspend();
        });
      });
    });
    const outcome = await settledWithin(running as Promise<unknown>);
    expect(outcome.state).toBe("rejected");
    const error = (outcome as { error?: unknown }).error;
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).reason).toMatchObject({ source: "parent" });
  });

  it("when awaited, is halted in its own turn as the nursery is cancelled: the task sees the nursery's reason and the nursery resolves", async () => {
    const log: string[] = [];
    const started = deferred();
    let seen: unknown;
    await nursery(async (n) => {
      n.spawn(async (task) => {
        seen = await settledOutcome(
          runOperation(task, function* () {
            yield* ensure(() => void log.push("cleanup"));
            started.resolve();
            yield* suspend();
          }),
        );
        log.push(`task saw ${(seen as Error).name}`);
      });
      await started.promise;
      n.cancel();
    });
    expect(log).toEqual(["cleanup", "task saw CancelledError"]);
    expect(seen).toBeInstanceOf(CancelledError);
  });

  it("started by a task while its nursery is already cancelling newer tasks, starts nothing and rejects with the nursery's reason", async () => {
    let started = false;
    let seen: unknown;
    let nurseryReason: unknown;
    const olderMayGo = deferred();
    await nursery(async (n) => {
      n.spawn(async (task) => {
        await olderMayGo.promise; // runs on while the newer task below is being cancelled
        seen = await settledOutcome(
          runOperation(task, function* () {
            started = true;
          }),
        );
      });
      n.spawn(
        (newer) =>
          new Promise<void>((resolve) => {
            newer.signal.addEventListener("abort", () => {
              nurseryReason = newer.signal.reason;
              olderMayGo.resolve();
              setImmediate(resolve);
            });
          }),
      );
      await Promise.resolve();
      n.cancel();
    });
    expect(started).toBe(false);
    expect(seen).toBe(nurseryReason);
    expect(seen).toBeInstanceOf(CancelledError);
  });

  it("regression: owned by a nursery whose body returns without awaiting it, keeps the nursery open until it ends", async () => {
    const log: string[] = [];
    const gate = deferred();
    const done = nursery((n) => {
      void runOperation(n, function* () {
        yield* until(gate.promise);
        log.push("operation returned");
      });
      log.push("body returns");
    }).then(() => log.push("nursery settled"));
    await eventLoopTurns(5);
    expect(log).toEqual(["body returns"]);
    gate.resolve();
    await done;
    expect(log).toEqual(["body returns", "operation returned", "nursery settled"]);
  });
});
