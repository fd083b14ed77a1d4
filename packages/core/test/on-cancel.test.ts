import { describe, expect, it } from "@jest/globals";
import { getEventListeners } from "node:events";
import { cancelReasonOf, CancelledError, nursery, onCancel, type Cancellable, type TaskContext } from "@nursery/core";
import { deferred, flush } from "./support.js";

describe("onCancel", () => {
  it("calls back with the task's CancelledError when the task is cancelled, without creating its signal", async () => {
    const seen: unknown[] = [];
    let ctx: TaskContext | undefined;
    await nursery(async (n) => {
      n.spawn(
        (task) =>
          new Promise<void>((_, reject) => {
            ctx = task;
            onCancel(task, (reason) => {
              seen.push(reason);
              reject(reason as Error);
            });
          }),
        { name: "waiter" },
      );
      n.cancel("stop");
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(CancelledError);
    expect((seen[0] as CancelledError).reason).toMatchObject({ source: "explicit", detail: "stop" });
    // The task's AbortController was never created: onCancel used the task's hook list.
    expect((ctx as unknown as { controller: unknown }).controller).toBeUndefined();
  });

  it("removes a task hook with its remover so a later cancellation does not call it", async () => {
    const calls: string[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        const remove = onCancel(task, () => calls.push("removed one"));
        onCancel(task, () => calls.push("kept one"));
        remove();
        await new Promise<void>((resolve) => onCancel(task, () => resolve()));
      });
      n.cancel();
    });
    expect(calls).toEqual(["kept one"]);
  });

  it.each<[string, (task: TaskContext) => Cancellable]>([
    ["the task", (task) => task],
    ["the task's AbortSignal", (task) => task.signal],
  ])(
    "runs each hook on %s exactly once, in the order added, when the task is cancelled by task.cancel() and then by its nursery while still running",
    async (_label, sourceOf) => {
      for (const count of [1, 3]) {
        const calls: string[] = [];
        const reasons: unknown[] = [];
        const release = deferred();
        let state = "";
        await nursery(async (n) => {
          const t = n.spawn(async (task) => {
            const source = sourceOf(task);
            for (let i = 0; i < count; i++) {
              onCancel(source, (reason) => {
                calls.push(`hook${i}`);
                reasons.push(reason);
              });
            }
            await release.promise; // ignores its cancellation: still running for both
          }, { name: "slow" });
          t.cancel("first");
          n.cancel("second");
          await flush(2);
          state = t.state;
          release.resolve();
        });
        expect(state).toBe("running");
        expect(calls).toEqual(Array.from({ length: count }, (_, i) => `hook${i}`));
        for (const reason of reasons) {
          expect((reason as CancelledError).reason).toMatchObject({ source: "explicit", detail: "first", task: "slow" });
        }
      }
    },
  );

  it("calls back at once when the source is already cancelled and returns a no-op remover", () => {
    const controller = new AbortController();
    controller.abort("gone");
    const seen: unknown[] = [];
    const remove = onCancel(controller.signal, (reason) => seen.push(reason));
    expect(seen).toEqual(["gone"]);
    expect(() => remove()).not.toThrow();
    expect(cancelReasonOf(controller.signal)).toBe("gone");
  });

  it("adds exactly one listener to a signal and removes it with the remover", () => {
    const controller = new AbortController();
    const removers = Array.from({ length: 1000 }, () => onCancel(controller.signal, () => undefined));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1000);
    for (const remove of removers) remove();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("reports the task's reason through cancelReasonOf once cancelled, undefined before", async () => {
    const reasons: unknown[] = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        reasons.push(cancelReasonOf(task));
        await new Promise<void>((resolve) => onCancel(task, () => resolve()));
        reasons.push(cancelReasonOf(task));
      });
      n.cancel();
    });
    expect(reasons[0]).toBeUndefined();
    expect(reasons[1]).toBeInstanceOf(CancelledError);
  });

  it("rejects a source that is neither a signal nor a task, and a non-function callback", () => {
    expect(() => onCancel(42 as never, () => undefined)).toThrow(
      "Expected `source` to be an AbortSignal or a task, got `42` (number)",
    );
    expect(() => onCancel(new AbortController().signal, "x" as never)).toThrow(
      'Expected `callback` to be a function, got `"x"` (string)',
    );
  });
});
