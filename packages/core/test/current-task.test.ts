import { describe, expect, it } from "@jest/globals";
import { currentTask, nursery } from "@nursery/core";
import { enableCurrentTask } from "@nursery/core/debug";

describe("currentTask", () => {
  it("returns undefined until enabled, then the running task across awaits", async () => {
    const seen: Array<string | undefined> = [];
    await nursery(async (n) => {
      n.spawn(async () => {
        seen.push(currentTask()?.name);
      }, { name: "before" });
    });
    enableCurrentTask();
    const deep = async (): Promise<string | undefined> => {
      await new Promise((r) => setImmediate(r));
      return currentTask()?.name;
    };
    await nursery(async (n) => {
      n.spawn(async () => {
        seen.push(await deep());
      }, { name: "outer" });
      n.spawn(async (t) => {
        await nursery(async (inner) => {
          inner.spawn(async () => {
            seen.push(await deep());
          }, { name: "inner" });
        }, { signal: t.signal });
        seen.push(currentTask()?.name);
      }, { name: "parent" });
    });
    expect(seen[0]).toBeUndefined();
    expect(seen.slice(1).sort()).toEqual(["inner", "outer", "parent"]);
    expect(currentTask()).toBeUndefined();
  });

  it("gives the task's own signal, so deep code is cancelled with it", async () => {
    enableCurrentTask();
    let aborted = false;
    await nursery(async (n) => {
      n.spawn(async () => {
        const signal = currentTask()?.signal;
        await new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve()));
        aborted = signal?.aborted ?? false;
      });
      await null;
      n.cancel();
    });
    expect(aborted).toBe(true);
  });
});
