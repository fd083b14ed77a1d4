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
              "app\\x1b (nursery)",
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

describe("dumpTree of hostile trees", () => {
  const hold = (t: { signal: AbortSignal }): Promise<void> => forever(t.signal).catch(() => undefined);

  it("regression: shows control characters, escape sequences, bidi overrides and lone surrogates escaped, one line per entry", async () => {
    await nursery(async (n) => {
      n.spawn(hold, { name: "a\nb\r\tc\x1b[31m\x07\x7f\x9b" });
      n.spawn(hold, { name: "rtl \u202egnp.exe\u2066 \u2028 \ud800 \udfff" });
      n.spawn(hold, { name: "ok: café 😀 👩‍💻 C:\\temp" });
      expect(dumpTree(n).split("\n")).toEqual([
        "evil\\x1b]0;title\\x07 (nursery)",
        "├─ a\\nb\\r\\tc\\x1b[31m\\x07\\x7f\\x9b [running, 0 ms]",
        "├─ rtl \\u202egnp.exe\\u2066 \\u2028 \\ud800 \\udfff [running, 0 ms]",
        "└─ ok: café 😀 👩‍💻 C:\\temp [running, 0 ms]",
      ]);
      n.cancel();
    }, { name: "evil\x1b]0;title\x07", clock: new VirtualClock() });
  });

  it("regression: cuts a very long name after 200 characters, never between the halves of a surrogate pair", async () => {
    await nursery(async (n) => {
      n.spawn(hold, { name: "x".repeat(1_000_000) });
      n.spawn(hold, { name: "y".repeat(199) + "😀" + "z" });
      const [, long, pair] = dumpTree(n, { locate: () => `file:///${"d/".repeat(600)}x.js:1:1` }).split("\n");
      expect(long).toBe(`├─ ${"x".repeat(200)}… (999800 more characters) [running, 0 ms] at file:///${"d/".repeat(496)}… (216 more characters)`);
      expect(pair).toMatch(new RegExp(`^└─ y{199}… \\(3 more characters\\) \\[running`));
      n.cancel();
    }, { clock: new VirtualClock() });
  });

  it("regression: draws 20 000 nested nurseries without overflowing the stack, 100 levels deep, and counts the rest", async () => {
    let bottom: () => void = () => undefined;
    const built = new Promise<void>((resolve) => (bottom = resolve));
    const levels = 20_000;
    async function down(t: Parameters<Parameters<Nursery["spawn"]>[0]>[0], level: number): Promise<void> {
      await null; // one microtask per level, not one synchronous recursion
      if (level === levels) {
        bottom();
        return hold(t);
      }
      await nursery(t, async (inner) => {
        inner.spawn((child) => down(child, level + 1), { name: "t" });
      }, { name: "n" });
    }
    await nursery(async (n) => {
      n.spawn((t) => down(t, 1), { name: "t" });
      await built;
      const lines = dumpTree(n).split("\n");
      expect(lines).toHaveLength(102);
      expect(lines[100]).toBe(`${"   ".repeat(99)}└─ n (nursery)`);
      expect(lines[101]).toBe(`${"   ".repeat(100)}└─ … 19950 tasks and 19949 nurseries deeper than 100 levels, not shown`);
      n.cancel();
    }, { clock: new VirtualClock() });
  });

  it("draws at most 100 000 lines and says how many more there were", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    await nursery(async (n) => {
      for (let i = 0; i < 100_002; i++) n.spawn(() => gate, { name: `w${i}` });
      const lines = dumpTree(n).split("\n");
      expect(lines).toHaveLength(100_001);
      expect(lines.at(-2)).toBe("├─ w99998 [running, 0 ms]");
      expect(lines.at(-1)).toBe("… 3 more lines not shown (at most 100000)");
      open();
    }, { clock: new VirtualClock() });
  });

  it("regression: asks locate once per distinct function, not once per task", async () => {
    const asked: Function[] = [];
    const locate = (fn: Function): string => {
      asked.push(fn);
      return "here";
    };
    await nursery(async (n) => {
      for (let i = 0; i < 5; i++) n.spawn(hold);
      n.spawn(async function other(t) {
        await hold(t);
      });
      expect(dumpTree(n, { locate }).split("\n")).toHaveLength(7);
      expect(asked).toEqual([hold, expect.any(Function)]);
      n.cancel();
    }, { clock: new VirtualClock() });
  });
});
