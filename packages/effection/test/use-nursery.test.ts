import { describe, expect, it } from "@jest/globals";
import { CancelledError, NurseryError, TimeoutError, type TaskContext } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { ensure, run, suspend, until } from "effection";
import { spawnOperation, useNursery } from "@nursery/effection";
import { deferred, listenerCount, untilAborted } from "./helpers.js";

/** A nursery child that waits for cancellation and logs its cleanup; `reasons` collects what it saw. */
function child(log: string[], name: string, ready?: () => void, reasons?: unknown[]) {
  return async ({ signal }: TaskContext) => {
    try {
      ready?.();
      await untilAborted(signal);
    } finally {
      reasons?.push(signal.reason);
      log.push(`${name} cleanup`);
    }
  };
}

describe("useNursery", () => {
  it("runs nursery tasks whose results effection code can wait for", async () => {
    const value = await run(function* () {
      const n = yield* useNursery({ name: "work" });
      expect(n.name).toBe("work");
      const a = n.spawn(async () => 1);
      const b = n.spawn(async () => 2);
      return (yield* until(a)) + (yield* until(b));
    });
    expect(value).toBe(3);
  });

  it("cancels the nursery newest-first between the effection cleanups around it when the operation returns", async () => {
    const log: string[] = [];
    const reasons: unknown[] = [];
    const bothReady = deferred();
    let ready = 0;
    const onReady = () => ++ready === 2 && bothReady.resolve();
    await run(function* () {
      yield* ensure(() => void log.push("ensure registered before the nursery"));
      const n = yield* useNursery();
      n.spawn(child(log, "first child", onReady, reasons));
      n.spawn(child(log, "second child", onReady, reasons));
      yield* ensure(() => void log.push("ensure registered after the nursery"));
      yield* until(bothReady.promise);
      log.push("operation returns");
    });
    log.push("run resolved");
    expect(log).toEqual([
      "operation returns",
      "ensure registered after the nursery",
      "second child cleanup",
      "first child cleanup",
      "ensure registered before the nursery",
      "run resolved",
    ]);
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(CancelledError);
      expect((reason as CancelledError).reason.source).toBe("parent");
    }
  });

  it("cancels the nursery in reverse order and waits for it when the effection task is halted", async () => {
    const log: string[] = [];
    const started = deferred();
    const gate = deferred();
    const slowCleanupStarted = deferred();
    let halted = false;
    const task = run(function* () {
      yield* ensure(() => void log.push("ensure registered before the nursery"));
      const n = yield* useNursery();
      n.spawn(child(log, "first child"));
      n.spawn(async ({ signal }) => {
        try {
          await untilAborted(signal);
        } finally {
          log.push("second child cleanup starts");
          slowCleanupStarted.resolve();
          await gate.promise;
          log.push("second child cleanup ends");
        }
      });
      yield* ensure(() => void log.push("ensure registered after the nursery"));
      try {
        started.resolve();
        yield* suspend();
      } finally {
        log.push("operation finally");
      }
    });
    await started.promise;
    const halt = Promise.resolve(task.halt()).then(() => (halted = true));
    await slowCleanupStarted.promise;
    expect(halted).toBe(false);
    expect(log).not.toContain("first child cleanup");
    gate.resolve();
    await halt;
    expect(log).toEqual([
      "operation finally",
      "ensure registered after the nursery",
      "second child cleanup starts",
      "second child cleanup ends",
      "first child cleanup",
      "ensure registered before the nursery",
    ]);
  });

  it("fails the effection scope with the NurseryError when a child throws, after cancelling the other children", async () => {
    const log: string[] = [];
    const boom = new Error("boom");
    const siblingReady = deferred();
    const failure = await run(function* () {
      yield* ensure(() => void log.push("ensure registered before the nursery"));
      const n = yield* useNursery();
      n.spawn(child(log, "sibling", () => siblingReady.resolve()));
      n.spawn(async () => {
        await siblingReady.promise;
        throw boom;
      });
      try {
        yield* suspend();
      } finally {
        log.push("operation finally");
      }
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NurseryError);
    expect((failure as NurseryError).errors).toEqual([boom]);
    expect(log).toEqual(["sibling cleanup", "operation finally", "ensure registered before the nursery"]);
  });

  it("rejects the halt with the NurseryError when a child's cleanup throws during the teardown", async () => {
    const started = deferred();
    const cleanupError = new Error("cleanup failed");
    const task = run(function* () {
      const n = yield* useNursery();
      n.spawn(async ({ signal }) => {
        started.resolve();
        await untilAborted(signal).catch(() => undefined);
        throw cleanupError;
      });
      yield* suspend();
    });
    await started.promise;
    const error = await Promise.resolve(task.halt()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NurseryError);
    expect((error as NurseryError).errors).toEqual([cleanupError]);
  });

  it("does not fail the effection scope when nursery code calls cancel()", async () => {
    const log: string[] = [];
    const value = await run(function* () {
      const n = yield* useNursery();
      const ready = deferred();
      n.spawn(child(log, "child", () => ready.resolve()));
      yield* until(ready.promise);
      n.cancel("done with it");
      yield* until(untilAborted(n.signal).catch(() => undefined));
      // The nursery settles through promise callbacks only (no timers): by the next macrotask its
      // completion, and the effection side's reaction to it, have run.
      yield* until(new Promise((resolve) => setImmediate(resolve)));
      log.push("operation continues");
      return "ok";
    });
    expect(value).toBe("ok");
    expect(log).toEqual(["child cleanup", "operation continues"]);
  });

  it("fails the effection scope with TimeoutError when the nursery's timeout passes", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const ready = deferred();
    const task = run(function* () {
      const n = yield* useNursery({ timeout: 100, clock });
      n.spawn(child(log, "child", () => ready.resolve()));
      yield* suspend();
    });
    await ready.promise;
    await clock.advance(100);
    const error = await Promise.resolve(task).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(log).toEqual(["child cleanup"]);
  });

  it("fails the effection scope with CancelledError when its outside signal aborts, and removes its listener", async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const ready = deferred();
    const task = run(function* () {
      const n = yield* useNursery({ signal: controller.signal });
      n.spawn(child(log, "child", () => ready.resolve()));
      yield* suspend();
    });
    await ready.promise;
    expect(listenerCount(controller.signal)).toBe(1);
    controller.abort("request gone");
    const error = await Promise.resolve(task).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).reason).toMatchObject({ source: "parent", detail: "request gone" });
    expect(log).toEqual(["child cleanup"]);
  });

  it("removes its listener from the outside signal when the scope ends normally", async () => {
    const controller = new AbortController();
    await run(function* () {
      yield* useNursery({ signal: controller.signal });
      expect(listenerCount(controller.signal)).toBe(1);
    });
    expect(listenerCount(controller.signal)).toBe(0);
  });

  it("keeps the whole order across two boundaries: effection, nursery, effection", async () => {
    const log: string[] = [];
    const ready = deferred();
    const task = run(function* () {
      yield* ensure(() => void log.push("outer ensure"));
      const n = yield* useNursery();
      n.spawn(child(log, "nursery child"));
      spawnOperation(n, function* inner() {
        yield* ensure(() => void log.push("inner operation ensure"));
        ready.resolve();
        yield* suspend();
      });
      try {
        yield* suspend();
      } finally {
        log.push("outer finally");
      }
    });
    await ready.promise;
    await task.halt();
    expect(log).toEqual(["outer finally", "inner operation ensure", "nursery child cleanup", "outer ensure"]);
  });

  it("throws core's TypeError for bad nursery options where the operation opens it, and leaves no listener", async () => {
    const controller = new AbortController();
    const error = await run(function* () {
      yield* useNursery({ timeout: -1, signal: controller.signal });
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toMatch(/^Expected `timeout` to be/);
    expect(listenerCount(controller.signal)).toBe(0);
  });

  it("throws a TypeError in the house shape for bad options", () => {
    expect(() => useNursery(7 as never)).toThrow(
      new TypeError("Expected `options` to be an options object, got `7` (number)"),
    );
    expect(() => useNursery({ signal: {} as never })).toThrow(
      new TypeError("Expected `options.signal` to be an AbortSignal, got `[object Object]` (object)"),
    );
  });
});
