import { describe, it, expect } from "@jest/globals";
import { getEventListeners } from "node:events";
import { nursery, openNursery, CancelledError, NurseryError, StartError, type StartContext } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { deferred, rejection, settle, sleep, untilAborted } from "./support.js";

describe("Nursery.start", () => {
  it("resolves with the value passed to started() while the task keeps running", async () => {
    const clock = new VirtualClock({ autojump: true });
    const log: string[] = [];
    await nursery(
      async (n) => {
        const port = await n.start<number>(async (task) => {
          await sleep(clock, 10);
          task.started(8080);
          log.push(`listening@${clock.now()}`);
          await sleep(clock, 100);
          log.push(`server done@${clock.now()}`);
        }, { name: "server" });
        log.push(`start resolved ${port}@${clock.now()}`);
      },
      { clock },
    );
    log.push(`nursery done@${clock.now()}`);
    expect(log).toEqual(["listening@10", "start resolved 8080@10", "server done@110", "nursery done@110"]);
  });

  it("resolves with undefined when started() gets no value", async () => {
    await nursery(async (n) => {
      const value = await n.start(async (task) => {
        task.started();
      });
      expect(value).toBeUndefined();
    });
  });

  it("gives the task a full task context: name, signal, nursery and clock", async () => {
    const clock = new VirtualClock();
    await nursery(
      async (n) => {
        let ctx!: StartContext<string>;
        await n.start<string>((task) => {
          ctx = task;
          task.started("ok");
        }, { name: "ready-check" });
        expect(ctx.name).toBe("ready-check");
        expect(ctx.signal).toBeInstanceOf(AbortSignal);
        expect(ctx.nursery).toBe(n);
        expect(ctx.clock).toBe(clock);
      },
      { clock },
    );
  });

  it("is a live child of the nursery after started(): it is cancelled with the others, newest-first", async () => {
    const log: string[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        await untilAborted(task.signal).catch(() => log.push("spawned first cancelled"));
      });
      await n.start(async (task) => {
        task.started();
        await untilAborted(task.signal).catch(() => log.push("started second cancelled"));
      });
      expect(n.children).toHaveLength(2);
      n.cancel();
    });
    expect(log).toEqual(["started second cancelled", "spawned first cancelled"]);
  });

  it("rejects with the task's error when it fails before started(), without failing or cancelling the nursery", async () => {
    const boom = new Error("could not bind");
    const value = await nursery(async (n) => {
      const sibling = n.spawn(async (task) => {
        await null;
        return task.signal.aborted ? "sibling cancelled" : "sibling untouched";
      });
      const err = await rejection(
        n.start(async () => {
          await null;
          throw boom;
        }),
      );
      expect(err).toBe(boom);
      expect(n.cancelRequested).toBe(false);
      return await sibling;
    });
    expect(value).toBe("sibling untouched");
  });

  it("rejects when the task throws synchronously before started(), without failing the nursery", async () => {
    const boom = new Error("sync failure");
    await expect(
      nursery(async (n) => {
        await expect(
          n.start(() => {
            throw boom;
          }),
        ).rejects.toBe(boom);
        return "fine";
      }),
    ).resolves.toBe("fine");
  });

  it("rejects with StartError ERR_NOT_STARTED when the task returns without started(), without failing the nursery", async () => {
    const value = await nursery(async (n) => {
      const err = await rejection(n.start(async () => "returned early", { name: "lazy" }));
      expect(err).toBeInstanceOf(StartError);
      expect(err).toMatchObject({
        name: "StartError",
        code: "ERR_NOT_STARTED",
        message: 'task "lazy" returned without calling started()',
      });
      const syncErr = await rejection(n.start(() => undefined, { name: "sync-lazy" }));
      expect(syncErr).toMatchObject({ code: "ERR_NOT_STARTED" });
      expect(n.cancelRequested).toBe(false);
      return "nursery fine";
    });
    expect(value).toBe("nursery fine");
  });

  it("throws StartError ERR_ALREADY_STARTED from a second started() call and keeps the first value", async () => {
    let second: unknown;
    const value = await nursery(async (n) =>
      n.start<string>((task) => {
        task.started("first");
        try {
          task.started("second");
        } catch (err) {
          second = err;
        }
      }, { name: "twice" }),
    );
    expect(value).toBe("first");
    expect(second).toBeInstanceOf(StartError);
    expect(second).toMatchObject({
      name: "StartError",
      code: "ERR_ALREADY_STARTED",
      message: 'task "twice" called started() twice',
    });
  });

  it("fails the nursery when a second started() call goes uncaught", async () => {
    const err = await rejection(
      nursery(async (n) => {
        await n.start((task) => {
          task.started();
          task.started();
        });
      }),
    );
    expect(err).toBeInstanceOf(NurseryError);
    expect((err as NurseryError).errors).toHaveLength(1);
    expect((err as NurseryError).errors[0]).toMatchObject({ code: "ERR_ALREADY_STARTED" });
  });

  it("fails the nursery and cancels siblings when the task fails after started()", async () => {
    const boom = new Error("crashed after start");
    const log: string[] = [];
    const err = await rejection(
      nursery(async (n) => {
        n.spawn(async (task) => {
          await untilAborted(task.signal).catch(() => log.push("sibling cancelled"));
        });
        await n.start(async (task) => {
          task.started();
          await null;
          throw boom;
        });
      }),
    );
    expect(log).toEqual(["sibling cancelled"]);
    expect((err as NurseryError).errors).toEqual([boom]);
  });

  it("rejects with the CancelledError when the nursery is cancelled before started()", async () => {
    const value = await nursery(async (n) => {
      const pending = settle(n.start((task) => untilAborted(task.signal)));
      n.cancel("shutting down");
      const result = await pending;
      expect(result.ok).toBe(false);
      const err = (result as { error: unknown }).error as CancelledError;
      expect(err).toBeInstanceOf(CancelledError);
      expect(err.reason).toMatchObject({ source: "explicit", detail: "shutting down" });
      return "resolved";
    });
    expect(value).toBe("resolved");
  });

  it("starts the task already cancelled in a cancelled nursery", async () => {
    await nursery(async (n) => {
      n.cancel();
      const aborted = await n.start<boolean>((task) => task.started(task.signal.aborted));
      expect(aborted).toBe(true);
    });
  });

  it("resolves start() only when started() is called, not when the function merely awaits", async () => {
    const gate = deferred();
    const log: string[] = [];
    await nursery(async (n) => {
      const started = n.start(async (task) => {
        await gate.promise;
        task.started();
      });
      void started.then(() => log.push("start resolved"));
      await null;
      await null;
      log.push("before gate");
      gate.resolve();
      await started;
    });
    expect(log).toEqual(["before gate", "start resolved"]);
  });

  describe("with the caller's signal (StartOptions.signal)", () => {
    const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

    it("cancels the starting task when the caller is cancelled before started(): start() rejects with the caller's own CancelledError and neither nursery fails", async () => {
      const clock = new VirtualClock();
      const log: string[] = [];
      let callerSignal!: AbortSignal;
      let startError: unknown;
      await using target = openNursery({ clock, name: "target" });
      const callers = nursery(
        async (a) => {
          a.spawn(async (caller) => {
            callerSignal = caller.signal;
            try {
              await target.start(async (task) => {
                try {
                  await untilAborted(task.signal); // still connecting when the caller goes away
                } finally {
                  log.push(`cleanup: ${String((task.signal.reason as CancelledError).message)}`);
                }
                task.started();
              }, { signal: caller.signal, name: "connect" });
            } catch (err) {
              startError = err;
              throw err;
            }
          }, { name: "caller" });
          await sleep(clock, 10);
          a.cancel("caller gone");
        },
        { clock, name: "callers" },
      );
      await clock.runAll();
      await expect(callers).resolves.toBeUndefined(); // the rejection was recognised as its own cancellation
      expect(startError).toBe(callerSignal.reason);
      expect(log).toEqual(['cleanup: cancelled: nursery "callers" was cancelled: caller gone']);
      expect(target.children).toEqual([]);
      expect(target.cancelRequested).toBe(false);
      expect(listeners(callerSignal)).toBe(0);
    });

    it("no longer follows the caller after started(): the task stays the nursery's, and no listener is left on the caller's signal", async () => {
      const caller = new AbortController();
      const n = openNursery();
      let taskSignal!: AbortSignal;
      const value = await n.start<string>(async (task) => {
        taskSignal = task.signal;
        task.started("ready");
        await untilAborted(task.signal).catch(() => {});
      }, { signal: caller.signal });
      expect(value).toBe("ready");
      expect(listeners(caller.signal)).toBe(0);
      caller.abort("too late");
      expect(taskSignal.aborted).toBe(false);
      n.cancel();
      await n[Symbol.asyncDispose]();
      expect((taskSignal.reason as CancelledError).reason.source).toBe("explicit");
    });

    it("wraps a reason that is not a CancelledError, naming the task and the nursery", async () => {
      const caller = new AbortController();
      const n = openNursery({ name: "pool" });
      const started = rejection(
        n.start(async (task) => {
          await untilAborted(task.signal);
        }, { signal: caller.signal, name: "conn" }),
      );
      caller.abort("shutdown");
      const err = await started;
      expect(err).toBeInstanceOf(CancelledError);
      expect((err as CancelledError).reason).toEqual({ source: "parent", detail: "shutdown", nursery: "pool", task: "conn" });
      await n[Symbol.asyncDispose]();
    });

    it("rejects with the cancellation of an already aborted signal and starts nothing", async () => {
      const caller = new AbortController();
      caller.abort("gone");
      const n = openNursery();
      let called = false;
      const err = await rejection(n.start(() => void (called = true), { signal: caller.signal }));
      expect(err).toBeInstanceOf(CancelledError);
      expect((err as CancelledError).reason).toMatchObject({ source: "parent", detail: "gone" });
      expect(called).toBe(false);
      expect(n.children).toEqual([]);
      await n[Symbol.asyncDispose]();
    });

    it("removes its listener when the task fails or returns before started()", async () => {
      const caller = new AbortController();
      const n = openNursery();
      await rejection(n.start(() => Promise.reject(new Error("refused")), { signal: caller.signal }));
      await rejection(n.start(() => undefined, { signal: caller.signal }));
      expect(listeners(caller.signal)).toBe(0);
      await n[Symbol.asyncDispose]();
    });

    it("rejects a signal that is not an AbortSignal with a TypeError naming it, starting nothing", async () => {
      const n = openNursery();
      expect(() => n.start(() => undefined, { signal: {} as AbortSignal })).toThrow("Expected `signal` to be an AbortSignal, got `[object Object]` (object)");
      expect(n.children).toEqual([]);
      await n[Symbol.asyncDispose]();
    });
  });
});
