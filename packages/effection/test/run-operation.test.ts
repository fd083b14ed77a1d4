import { describe, expect, it } from "@jest/globals";
import { ensure, sleep, spawn, suspend, until, withResolvers, type Operation } from "effection";
import { runOperation } from "@nursery/effection";
import { deferred, listenerCount } from "./helpers.js";

describe("runOperation", () => {
  it("resolves with the operation's value after its scope is torn down", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const value = await runOperation(
      function* () {
        const childStarted = withResolvers<void>();
        yield* spawn(function* () {
          try {
            childStarted.resolve();
            yield* suspend();
          } finally {
            log.push("spawned child halted");
          }
        });
        yield* childStarted.operation;
        yield* ensure(() => void log.push("ensure"));
        log.push("body returns");
        return 42;
      },
      { signal: controller.signal },
    );
    log.push("promise resolved");
    expect(value).toBe(42);
    expect(log).toEqual(["body returns", "ensure", "spawned child halted", "promise resolved"]);
    expect(listenerCount(controller.signal)).toBe(0);
  });

  it("rejects with the error the operation threw and removes its listener", async () => {
    const controller = new AbortController();
    const boom = new Error("boom");
    await expect(
      runOperation(
        function* () {
          yield* sleep(0);
          throw boom;
        },
        { signal: controller.signal },
      ),
    ).rejects.toBe(boom);
    expect(listenerCount(controller.signal)).toBe(0);
  });

  it("halts the operation on abort, waits for its async cleanup, then rejects with signal.reason", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const started = deferred();
    const cleanupStarted = deferred();
    const gate = deferred();
    const promise = runOperation(
      function* () {
        yield* ensure(function* () {
          log.push("ensure starts");
          cleanupStarted.resolve();
          yield* until(gate.promise);
          log.push("ensure ends");
        });
        started.resolve();
        yield* suspend();
      },
      { signal: controller.signal },
    );
    let settled = false;
    void promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await started.promise;
    expect(listenerCount(controller.signal)).toBe(1);
    const reason = new Error("stop");
    controller.abort(reason);
    await cleanupStarted.promise;
    expect(settled).toBe(false);
    gate.resolve();
    await expect(promise).rejects.toBe(reason);
    expect(log).toEqual(["ensure starts", "ensure ends"]);
    expect(listenerCount(controller.signal)).toBe(0);
  });

  it("rejects at once and never starts the operation when the signal is already aborted", async () => {
    const reason = new Error("already");
    let started = false;
    await expect(
      runOperation(
        function* () {
          started = true;
        },
        { signal: AbortSignal.abort(reason) },
      ),
    ).rejects.toBe(reason);
    expect(started).toBe(false);
  });

  it("rejects with a cleanup's error when a cleanup throws during the halt", async () => {
    const controller = new AbortController();
    const started = deferred();
    const cleanupError = new Error("cleanup failed");
    const promise = runOperation(
      function* () {
        yield* ensure(() => {
          throw cleanupError;
        });
        started.resolve();
        yield* suspend();
      },
      { signal: controller.signal },
    );
    await started.promise;
    controller.abort(new Error("stop"));
    await expect(promise).rejects.toBe(cleanupError);
  });

  // effection#1190: a delegated sub-operation whose `finally` yields turns the halt into a normal
  // return for the frames above it, so the operation appears to "return" after being halted.
  it("rejects with signal.reason even when the halted operation runs on past the halt (effection#1190)", async () => {
    const controller = new AbortController();
    const started = deferred();
    function* helper(): Operation<string> {
      try {
        started.resolve();
        yield* suspend();
        return "never";
      } finally {
        yield* sleep(0);
      }
    }
    const promise = runOperation(
      function* () {
        const value = yield* helper();
        return `ran past the halt with ${String(value)}`;
      },
      { signal: controller.signal },
    );
    await started.promise;
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(promise).rejects.toBe(reason);
  });

  it("keeps the operation's value when the signal aborts in the same step the operation returns", async () => {
    const controller = new AbortController();
    const value = await runOperation(
      function* () {
        controller.abort(new Error("late"));
        return "done";
      },
      { signal: controller.signal },
    );
    expect(value).toBe("done");
  });

  it("halts an operation that aborts its own signal before its first suspension", async () => {
    const controller = new AbortController();
    const reason = new Error("self-inflicted");
    const log: string[] = [];
    await expect(
      runOperation(
        function* () {
          yield* ensure(() => void log.push("ensure"));
          controller.abort(reason);
          yield* suspend();
        },
        { signal: controller.signal },
      ),
    ).rejects.toBe(reason);
    expect(log).toEqual(["ensure"]);
    expect(listenerCount(controller.signal)).toBe(0);
  });

  it("throws a TypeError in the house shape for bad arguments", () => {
    expect(() => runOperation(5 as never, { signal: new AbortController().signal })).toThrow(
      new TypeError("Expected `operation` to be a function, got `5` (number)"),
    );
    expect(() => runOperation(function* () {}, undefined as never)).toThrow(
      new TypeError("Expected `options.signal` to be an AbortSignal, got `undefined` (undefined)"),
    );
    expect(() => runOperation(function* () {}, { signal: "x" as never })).toThrow(
      new TypeError('Expected `options.signal` to be an AbortSignal, got `"x"` (string)'),
    );
  });
});
