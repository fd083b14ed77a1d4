// runOperation(task, operation): the cancellation source first (api-cancellation-source.md).
import { describe, expect, it } from "@jest/globals";
import { ensure, sleep, suspend } from "effection";
import { nursery } from "@nursery/core";
import { cancelReasonOf } from "@nursery/core/adapter";
import { runOperation } from "@nursery/effection";

describe("runOperation(task, operation)", () => {
  it("resolves with the operation's value", async () => {
    const value = await nursery(async (n) =>
      n.spawn((task) =>
        runOperation(task, function* () {
          yield* sleep(1);
          return 42;
        }),
      ),
    );
    expect(value).toBe(42);
  });

  it("halts the operation when the task is cancelled, runs its cleanup and rejects with the task's reason", async () => {
    const seen: unknown[] = [];
    let cleaned = false;
    await nursery(async (n) => {
      n.spawn(async (task) => {
        const running = runOperation(task, function* () {
          yield* ensure(() => {
            cleaned = true;
          });
          yield* suspend();
        });
        await new Promise((resolve) => setImmediate(resolve));
        task.cancel(new Error("stop"));
        seen.push(await running.catch((err: unknown) => err), cancelReasonOf(task));
      });
    });
    expect(cleaned).toBe(true);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).toBeDefined();
  });

  it("rejects at once for a task already cancelled, never starting the operation", async () => {
    const controller = new AbortController();
    controller.abort("gone");
    let started = false;
    await expect(
      runOperation(controller.signal, function* () {
        started = true;
      }),
    ).rejects.toBe("gone");
    expect(started).toBe(false);
  });

  it("throws the house TypeError naming `task` or `operation`", () => {
    const loose = runOperation as (...args: unknown[]) => Promise<unknown>;
    expect(() => loose(5, function* () {})).toThrow("Expected `task` to be a task, a scope context or an AbortSignal, got `5` (number)");
    expect(() => loose(new AbortController().signal, 5)).toThrow("Expected `operation` to be a function");
  });
});
