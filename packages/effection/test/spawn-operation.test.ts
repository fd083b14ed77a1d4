import { describe, expect, it } from "@jest/globals";
import { CancelledError, NurseryError, isCancellation, nursery } from "@nursery/core";
import { ensure, sleep, spawn, suspend, until, withResolvers } from "effection";
import { spawnOperation } from "@nursery/effection";
import { deferred, untilAborted } from "./helpers.js";

describe("spawnOperation", () => {
  it("fulfils the task with the operation's value after its effection cleanup ran", async () => {
    const log: string[] = [];
    const result = await nursery(async (n) => {
      const task = spawnOperation(n, function* () {
        yield* ensure(() => void log.push("effection ensure"));
        yield* sleep(0);
        log.push("operation returns");
        return "value";
      });
      const value = await task;
      log.push("task fulfilled");
      expect(task.state).toBe("fulfilled");
      return value;
    });
    expect(result).toBe("value");
    expect(log).toEqual(["operation returns", "effection ensure", "task fulfilled"]);
  });

  it("names the task after the operation function unless a name is given", async () => {
    await nursery((n) => {
      expect(spawnOperation(n, function* server() {}).name).toBe("server");
      expect(spawnOperation(n, function* server() {}, { name: "http" }).name).toBe("http");
    });
  });

  it("fails the nursery with the operation's error and cancels its siblings, newest first", async () => {
    const log: string[] = [];
    const boom = new Error("boom");
    const siblingsWaiting = deferred();
    let waiting = 0;
    const sibling = (name: string) => async ({ signal }: { signal: AbortSignal }) => {
      try {
        if (++waiting === 2) siblingsWaiting.resolve();
        await untilAborted(signal);
      } finally {
        log.push(`${name} cleanup`);
      }
    };
    const failure = await nursery(async (n) => {
      n.spawn(sibling("older"));
      spawnOperation(n, function* failing() {
        try {
          yield* until(siblingsWaiting.promise);
          throw boom;
        } finally {
          log.push("operation finally");
        }
      });
      n.spawn(sibling("newer"));
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NurseryError);
    expect((failure as NurseryError).errors).toEqual([boom]);
    expect(log).toEqual(["operation finally", "newer cleanup", "older cleanup"]);
  });

  it("halts the operation in its reverse-order turn and waits for all its cleanup before the next older child", async () => {
    const log: string[] = [];
    const ready = deferred();
    const gate = deferred();
    const ensureWaiting = deferred();
    const plain = (name: string) => async ({ signal }: { signal: AbortSignal }) => {
      try {
        await untilAborted(signal);
      } finally {
        log.push(`${name} cleanup`);
      }
    };
    const run = nursery(async (n) => {
      n.spawn(plain("older task"));
      spawnOperation(n, function* operation() {
        yield* ensure(() => void log.push("effection ensure (registered first)"));
        const childReady = withResolvers<void>();
        yield* spawn(function* () {
          try {
            childReady.resolve();
            yield* suspend();
          } finally {
            log.push("effection spawned child finally");
          }
        });
        yield* childReady.operation;
        yield* ensure(function* () {
          log.push("effection async ensure starts");
          ensureWaiting.resolve();
          yield* until(gate.promise);
          log.push("effection async ensure ends");
        });
        try {
          ready.resolve();
          yield* suspend();
        } finally {
          log.push("effection body finally");
        }
      });
      n.spawn(plain("newer task"));
      await ready.promise;
      n.cancel("stop");
    });
    await ensureWaiting.promise;
    // The operation's cleanup is still waiting: the older task must not have been cancelled yet.
    expect(log).not.toContain("older task cleanup");
    gate.resolve();
    await run;
    expect(log).toEqual([
      "newer task cleanup",
      "effection body finally",
      "effection async ensure starts",
      "effection async ensure ends",
      "effection spawned child finally",
      "effection ensure (registered first)",
      "older task cleanup",
    ]);
  });

  it("rejects the halted task with the task's cancellation reason, which the nursery absorbs", async () => {
    const started = deferred();
    let observed: unknown;
    await nursery(async (n) => {
      const task = spawnOperation(n, function* worker() {
        started.resolve();
        yield* suspend();
      });
      await started.promise;
      task.cancel("enough");
      observed = await Promise.resolve(task).catch((error: unknown) => error);
      expect(task.state).toBe("cancelled");
    });
    expect(observed).toBeInstanceOf(CancelledError);
    expect(isCancellation(observed)).toBe(true);
    expect((observed as CancelledError).reason).toMatchObject({ source: "explicit", detail: "enough", task: "worker" });
  });

  it("fails the nursery when the operation's cleanup throws during the halt", async () => {
    const started = deferred();
    const cleanupError = new Error("cleanup failed");
    const failure = await nursery(async (n) => {
      spawnOperation(n, function* () {
        yield* ensure(() => {
          throw cleanupError;
        });
        started.resolve();
        yield* suspend();
      });
      await started.promise;
      n.cancel();
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NurseryError);
    expect((failure as NurseryError).errors).toEqual([cleanupError]);
  });

  it("halts the operation when the nursery is cancelled from an outside signal", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const started = deferred();
    const run = nursery(
      async (n) => {
        spawnOperation(n, function* () {
          yield* ensure(() => void log.push("ensure"));
          started.resolve();
          yield* suspend();
        });
        await untilAborted(n.signal);
      },
      { signal: controller.signal },
    );
    await started.promise;
    controller.abort("shutdown");
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect(log).toEqual(["ensure"]);
  });

  it("never starts the operation when spawned into a nursery that is already cancelled", async () => {
    let started = false;
    await nursery((n) => {
      n.cancel();
      const task = spawnOperation(n, function* () {
        started = true;
      });
      return Promise.resolve(task).then(
        () => expect("fulfilled").toBe("cancelled"),
        (error: unknown) => expect(isCancellation(error)).toBe(true),
      );
    });
    expect(started).toBe(false);
  });

  it("throws a TypeError in the house shape for bad arguments", async () => {
    await nursery((n) => {
      expect(() => spawnOperation({} as never, function* () {})).toThrow(
        new TypeError("Expected `nursery` to be a Nursery, got `[object Object]` (object)"),
      );
      expect(() => spawnOperation(n, null as never)).toThrow(
        new TypeError("Expected `operation` to be a function, got `null` (null)"),
      );
      expect(() => spawnOperation(n, function* () {}, { name: 3 as never })).toThrow(
        new TypeError("Expected `options.name` to be a string, got `3` (number)"),
      );
    });
  });
});

