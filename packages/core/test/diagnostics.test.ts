import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { channels, nursery, type CancelEvent, type SettleEvent, type SpawnEvent } from "@nursery/core";

const subscriptions: Array<[string, (message: unknown) => void]> = [];
function on(name: string, fn: (message: unknown) => void): void {
  subscribe(name, fn);
  subscriptions.push([name, fn]);
}
afterEach(() => {
  for (const [name, fn] of subscriptions.splice(0)) unsubscribe(name, fn);
  jest.restoreAllMocks();
});

describe("diagnostics channels", () => {
  it("publishes spawn, cancel and settle events in order for a small tree", async () => {
    const log: string[] = [];
    on("nursery:spawn", (m) => log.push(`spawn ${(m as SpawnEvent).task.name} in ${(m as SpawnEvent).nursery.name}`));
    on("nursery:cancel", (m) => {
      const e = m as CancelEvent;
      log.push(`cancel ${e.task === undefined ? `nursery ${e.nursery.name}` : e.task.name} (${e.reason.reason.source})`);
    });
    on("nursery:settle", (m) => log.push(`settle ${(m as SettleEvent).task.name} ${(m as SettleEvent).state}`));
    await nursery(
      async (n) => {
        n.spawn(async () => "done", { name: "quick" });
        n.spawn((t) => new Promise((_, reject) => t.signal.addEventListener("abort", () => reject(t.signal.reason))), {
          name: "waiter",
        });
        await null;
        n.cancel();
      },
      { name: "root" },
    );
    expect(log).toEqual([
      "spawn quick in root",
      "spawn waiter in root",
      "settle quick fulfilled",
      "cancel nursery root (explicit)",
      "cancel waiter (explicit)",
      "settle waiter cancelled",
    ]);
  });

  it("allocates no event and never calls publish when nobody subscribes", async () => {
    const spies = [
      jest.spyOn(channels.spawn, "publish"),
      jest.spyOn(channels.cancel, "publish"),
      jest.spyOn(channels.settle, "publish"),
    ];
    await nursery(async (n) => {
      for (let i = 0; i < 100; i++) n.spawn(async () => i);
      n.spawn((t) => new Promise((_, reject) => t.signal.addEventListener("abort", () => reject(t.signal.reason))));
      await null;
      n.cancel();
    });
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it("reports a failing task's error as its settle outcome", async () => {
    const settled: SettleEvent[] = [];
    on("nursery:settle", (m) => settled.push(m as SettleEvent));
    const boom = new Error("boom");
    await expect(
      nursery(async (n) => {
        n.spawn(async () => {
          throw boom;
        }, { name: "bad" });
      }),
    ).rejects.toThrow("boom");
    expect(settled).toHaveLength(1);
    expect(settled[0]).toMatchObject({ state: "rejected", outcome: boom });
  });
});
