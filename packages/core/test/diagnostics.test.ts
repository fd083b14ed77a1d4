import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { NurseryError, channels, nursery, openNursery, type CancelEvent, type CloseEvent, type OpenEvent, type SettleEvent, type SpawnEvent } from "@nursery/core";

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
      jest.spyOn(channels.open, "publish"),
      jest.spyOn(channels.close, "publish"),
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

  it("publishes a nursery's open before its body and first spawn, and its close after every child settled", async () => {
    const log: string[] = [];
    on("nursery:open", (m) => log.push(`open ${(m as OpenEvent).nursery.name}`));
    on("nursery:spawn", (m) => log.push(`spawn ${(m as SpawnEvent).task.name}`));
    on("nursery:settle", (m) => log.push(`settle ${(m as SettleEvent).task.name}`));
    on("nursery:close", (m) => {
      const e = m as CloseEvent;
      log.push(`close ${e.nursery.name} ${e.ok} ${String(e.outcome)}`);
    });
    const value = await nursery(
      async (n) => {
        log.push("body");
        n.spawn(
          (t) =>
            nursery(
              (inner) => {
                inner.spawn(async () => undefined, { name: "leaf" });
              },
              { name: "inner", signal: t.signal },
            ),
          { name: "outer" },
        );
        return "value";
      },
      { name: "root" },
    );
    expect(value).toBe("value");
    expect(log).toEqual([
      "open root",
      "body",
      "spawn outer",
      "open inner",
      "spawn leaf",
      "settle leaf",
      "close inner true undefined",
      "settle outer",
      "close root true value",
    ]);
  });

  it("publishes close once, with the error a nursery rejects with, also for an openNursery() disposed", async () => {
    const closed: CloseEvent[] = [];
    on("nursery:close", (m) => closed.push(m as CloseEvent));
    const boom = new Error("boom");
    const err = await nursery(async () => {
      throw boom;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NurseryError);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ ok: false, outcome: err });
    const n = openNursery({ name: "manual" });
    n.spawn(async () => undefined);
    await n[Symbol.asyncDispose]();
    await n[Symbol.asyncDispose]();
    expect(closed.map((e) => [e.nursery.name, e.ok])).toEqual([["nursery", false], ["manual", true]]);
  });

  it("regression: a failing child's settle is published before the cancellation it starts and its nursery's close", async () => {
    const log: string[] = [];
    on("nursery:settle", (m) => log.push(`settle ${(m as SettleEvent).task.name}`));
    on("nursery:cancel", (m) => log.push(`cancel ${(m as CancelEvent).task?.name ?? "nursery"}`));
    on("nursery:close", (m) => log.push(`close ${(m as CloseEvent).nursery.name}`));
    await expect(
      nursery((n) => {
        n.spawn(async () => {
          await null;
          throw new Error("boom");
        }, { name: "last" });
      }, { name: "root" }),
    ).rejects.toThrow("boom");
    expect(log).toEqual(["settle last", "cancel nursery", "close root"]);
  });
});
