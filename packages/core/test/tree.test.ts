import { describe, expect, it } from "@jest/globals";
import { nursery, type Nursery } from "@nursery/core";
import { dumpTree } from "@nursery/core/debug";
import { VirtualClock } from "@nursery/core/testing";

const forever = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));

describe("dumpTree", () => {
  it("regression: a name with line breaks or other control characters stays on its own line, escaped", async () => {
    const clock = new VirtualClock();
    await nursery(
      async (n) => {
        n.spawn((t) => forever(t.signal), { name: "process node -e '\nlet i = 0;\r\n\tloop()'" });
        await nursery(n, async () => {
          expect(dumpTree(n)).toBe(
            [
              "app\\u001b (nursery)",
              "├─ inner\\nscope (nursery)",
              "└─ process node -e '\\nlet i = 0;\\r\\n\\tloop()' [running, 0 ms]",
            ].join("\n"),
          );
        }, { name: "inner\nscope" });
        n.cancel();
      },
      { name: "app\u001b", clock },
    );
  });

  it("renders nested nurseries, task names, states and ages", async () => {
    const clock = new VirtualClock();
    let root: Nursery | undefined;
    let ready: () => void = () => undefined;
    const built = new Promise<void>((r) => (ready = r));
    const done = nursery(
      async (n) => {
        root = n;
        n.spawn((t) => forever(t.signal), { name: "db-pool" });
        await clock.advance(4_200);
        n.spawn(
          async (t) => {
            await nursery(
              async (inner) => {
                inner.spawn((t2) => forever(t2.signal), { name: "request-1" });
                inner.spawn((t2) => forever(t2.signal), { name: "request-2" });
                ready();
              },
              { name: "server", signal: t.signal, clock },
            );
          },
          { name: "http" },
        );
      },
      { name: "app", clock },
    );
    await built;
    await clock.advance(800);
    const r = root as Nursery;
    expect(dumpTree(r)).toBe(
      [
        "app (nursery)",
        "├─ db-pool [running, 5.0 s]",
        "└─ http [running, 800 ms]",
        "   └─ server (nursery)",
        "      ├─ request-1 [running, 800 ms]",
        "      └─ request-2 [running, 800 ms]",
      ].join("\n"),
    );
    r.cancel();
    await done;
    expect(dumpTree(r)).toBe("app (nursery, cancelling)");
  });

  it("adds each task's definition site when given a locate function", async () => {
    const clock = new VirtualClock();
    await nursery(async (n) => {
      n.spawn(async function worker(t) {
        await forever(t.signal).catch(() => undefined);
      });
      expect(dumpTree(n, { locate: (fn) => `site-of-${fn.name}` })).toBe(
        "nursery (nursery)\n└─ worker [running, 0 ms] at site-of-worker",
      );
      n.cancel();
    }, { clock });
  });
});
