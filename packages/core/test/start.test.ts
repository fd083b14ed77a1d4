import { describe, it, expect } from "@jest/globals";
import { nursery, CancelledError, NurseryError, StartError, type StartContext } from "@nursery/core";
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
});
