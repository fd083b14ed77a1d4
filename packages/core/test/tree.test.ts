import { describe, expect, it } from "@jest/globals";
import { dumpTree, nursery, type Nursery } from "@nursery/core";

const forever = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));

describe("dumpTree", () => {
  it("renders nested nurseries, task names and states", async () => {
    let root: Nursery | undefined;
    let ready: () => void = () => undefined;
    const built = new Promise<void>((r) => (ready = r));
    const done = nursery(
      async (n) => {
        root = n;
        n.spawn((t) => forever(t.signal), { name: "db-pool" });
        n.spawn(
          async (t) => {
            await nursery(
              async (inner) => {
                inner.spawn((t2) => forever(t2.signal), { name: "request-1" });
                inner.spawn((t2) => forever(t2.signal), { name: "request-2" });
                ready();
              },
              { name: "server", signal: t.signal },
            );
          },
          { name: "http" },
        );
      },
      { name: "app" },
    );
    await built;
    const r = root as Nursery;
    expect(dumpTree(r)).toBe(
      [
        "app (nursery)",
        "├─ db-pool [running]",
        "└─ http [running]",
        "   └─ server (nursery)",
        "      ├─ request-1 [running]",
        "      └─ request-2 [running]",
      ].join("\n"),
    );
    r.cancel();
    await done;
    expect(dumpTree(r)).toBe("app (nursery, cancelling)");
  });

  it("adds each task's definition site when given a locate function", async () => {
    await nursery(async (n) => {
      n.spawn(async function worker(t) {
        await forever(t.signal).catch(() => undefined);
      });
      expect(dumpTree(n, { locate: (fn) => `site-of-${fn.name}` })).toBe(
        "nursery (nursery)\n└─ worker [running] at site-of-worker",
      );
      n.cancel();
    });
  });
});
