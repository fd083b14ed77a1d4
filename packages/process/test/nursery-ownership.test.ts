// A process started by a task belongs to the task's nursery: the nursery waits for it, stops it
// newest-first when cancelled, and the owner's rejection counts as cancellation, not failure.
import { afterEach, describe, expect, it } from "@jest/globals";
import { CancelledError, nursery, NurseryError, type Task } from "@nursery/core";
import { exec, spawnProcess, type Subprocess } from "@nursery/process";
import { cleanup, isAlive, listeners } from "./helpers.js";

const tracked = cleanup();
afterEach(() => tracked.run());

describe("a process owned by a task", () => {
  it("keeps the nursery open until it exits, even when its task returned without awaiting it", async () => {
    let proc: Subprocess | undefined;
    let owner: Task<void> | undefined;
    const result = await nursery(async (n) => {
      owner = n.spawn(
        (task) => {
          proc = tracked.track(spawnProcess(task, "sh", ["-c", "read x; exit 0"]));
        },
        { name: "starter" },
      );
      await Promise.resolve(owner);
      expect(owner.state).toBe("fulfilled");
      expect(n.children.map((t) => t.name)).toEqual(["process sh -c 'read x; exit 0'"]);
      proc?.stdin?.end("\n");
      return "body done";
    });
    expect(result).toBe("body done");
    expect(proc?.exitCode).toBe(0);
  });

  it("regression: a script argument with line breaks gives the process a one-line name in task trees", async () => {
    await nursery(async (n) => {
      n.spawn(
        (task) => {
          const proc = tracked.track(spawnProcess(task, "sh", ["-c", "\n  read x\r\n\texit 0\n"]));
          proc.stdin?.end("\n");
        },
        { name: "starter" },
      );
      await Promise.resolve();
      expect(n.children.map((t) => t.name)).toEqual(["process sh -c ' read x exit 0 '"]);
    });
  });

  it("is stopped when the nursery is cancelled, though nobody awaits it", async () => {
    let proc: Subprocess | undefined;
    await nursery((n) => {
      n.spawn((task) => {
        proc = tracked.track(spawnProcess(task, "sleep", ["60"]));
      });
      n.cancel();
    });
    const err = await (proc as Subprocess).exited.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(isAlive((proc as Subprocess).pid as number)).toBe(false);
  });

  it("rejects the awaiting task with the nursery's own reason, so cancelling is not a failure", async () => {
    let task: Task<unknown> | undefined;
    const outcome = await nursery((n) => {
      task = n.spawn((t) => exec(t, "sleep", ["60"]), { name: "runner" });
      n.cancel("enough");
    });
    expect(outcome).toBeUndefined();
    expect(task?.state).toBe("cancelled");
  });

  it("fails the nursery with the ProcessError when the awaiting task lets it propagate", async () => {
    const err = await nursery((n) => {
      n.spawn((t) => exec(t, "sh", ["-c", "exit 5"]));
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NurseryError);
    expect((err as NurseryError).errors).toEqual([expect.objectContaining({ code: "ERR_PROCESS_EXIT", exitCode: 5 })]);
  });

  it("is stopped newest-first, before the older task that started it is cancelled", async () => {
    const log: string[] = [];
    await nursery(async (n) => {
      let proc: Subprocess | undefined;
      n.spawn(
        async (task) => {
          task.signal.addEventListener("abort", () => {
            log.push(`owner cancelled; process ${isAlive((proc as Subprocess).pid as number) ? "alive" : "gone"}`);
          });
          proc = tracked.track(spawnProcess(task, "sleep", ["60"]));
          await proc.exited;
        },
        { name: "owner" },
      );
      n.cancel();
    });
    expect(log).toEqual(["owner cancelled; process gone"]);
  });

  it("runs in the nursery's body with the nursery itself as owner", async () => {
    const outcome = await nursery(async (n) => {
      n.spawn(() => n.cancel());
      await exec(n, "sleep", ["60"]);
      return "unreachable";
    });
    expect(outcome).toBeUndefined();
  });

  it("adds one listener to the task's signal and removes it when the process settles", async () => {
    await nursery(async (n) => {
      n.spawn(async (task) => {
        const before = listeners(task.signal);
        const running = exec(task, "sh", ["-c", "exit 0"]);
        expect(listeners(task.signal)).toBe(before + 1);
        await running;
        expect(listeners(task.signal)).toBe(before);
      });
    });
  });

  it("spawns nothing into a nursery that is already being cancelled", async () => {
    let proc: Subprocess | undefined;
    await nursery(async (n) => {
      n.spawn(
        async (task) => {
          // The older task is still running when the newer one is cancelled first (reverse order).
          await new Promise<void>((resolve) => task.signal.addEventListener("abort", () => resolve()));
        },
        { name: "older" },
      );
      n.spawn(async () => {
        n.cancel();
        proc = spawnProcess(n, "sleep", ["60"]);
      });
    });
    expect(proc?.pid).toBeUndefined();
    await expect(proc?.exited).rejects.toBeInstanceOf(CancelledError);
  });
});
