// Issue 17, type holes at run time: a task waiting for itself, and Task#catch / Task#finally.
import { describe, expect, it } from "@jest/globals";
import { NurseryError, nursery, type TaskContext } from "@nursery/core";
import { onTaskEnd } from "@nursery/core/adapter";
import { enableCurrentTask } from "@nursery/core/debug";

describe("a task that returns its own context", () => {
  it("rejects at once when a task's function returns its own context synchronously", async () => {
    const err = await nursery((n) => {
      n.spawn(((t: TaskContext) => t) as never, { name: "self" });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NurseryError);
    const [first] = (err as NurseryError).errors;
    expect(first).toBeInstanceOf(TypeError);
    expect((first as Error).message).toMatch(/^Task "self" waited for its own result/);
  });

  it("rejects at once when a task's async function returns its own context, with currentTask() on", async () => {
    enableCurrentTask();
    const err = await nursery((n) => {
      // @ts-expect-error deliberately returns its own context, a type error (TS1058), to test the run-time TypeError
      n.spawn((async (t: TaskContext) => t) as never, { name: "async-self" });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NurseryError);
    expect(((err as NurseryError).errors[0] as Error).message).toMatch(/^Task "async-self" waited for its own result/);
  });

  it("lets a sibling await a running task with currentTask() on", async () => {
    enableCurrentTask();
    const value = await nursery(async (n) => {
      const a = n.spawn(async () => 1);
      const b = n.spawn(async () => (await a) + 1);
      return b;
    });
    expect(value).toBe(2);
  });
});

describe("onTaskEnd with currentTask() on", () => {
  it("regression: waits for the task's end instead of taking the registration for a wait on itself", async () => {
    enableCurrentTask();
    const log: string[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        onTaskEnd(task, () => log.push("ended"));
        await new Promise<void>((resolve) => setImmediate(resolve));
        log.push("returns");
      });
    });
    expect(log).toEqual(["returns", "ended"]);
  });
});

describe("Task#catch and Task#finally", () => {
  it("catches a task's rejection and runs finally after its outcome, as a promise does", async () => {
    const log: string[] = [];
    const err = new Error("boom");
    await nursery(async (n) => {
      const t = n.spawn(async () => {
        throw err;
      });
      await t.catch((e: unknown) => log.push(e === err ? "caught" : "other"));
      await n.spawn(async () => 5).finally(() => log.push("finally"));
    }).catch(() => undefined);
    expect(log).toEqual(["caught", "finally"]);
  });

  it("are prototype methods, so a task carries no extra own property for them", async () => {
    await nursery((n) => {
      const t = n.spawn(() => 1);
      expect(Object.hasOwn(t, "catch")).toBe(false);
      expect(Object.hasOwn(t, "finally")).toBe(false);
      expect(typeof t.catch).toBe("function");
    });
  });
});
