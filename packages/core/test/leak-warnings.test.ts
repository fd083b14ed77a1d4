import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { spawnFixture } from "@nursery/core/testing";
import { channels, nursery, type TaskContext } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { enableLeakWarnings } from "../src/leak-warnings.js";

let lines: string[] = [];
let disable: () => void = () => undefined;
beforeEach(() => {
  lines = [];
  disable = enableLeakWarnings({ write: (line) => lines.push(line) });
});
afterEach(() => disable());

/** One macrotask after the checks scheduled at settle time (setImmediate runs in order). */
const afterChecks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function waitForCancel(task: TaskContext): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => resolve();
    task.signal.addEventListener("abort", onAbort, { once: true });
  });
}

describe("enableLeakWarnings", () => {
  it("warns once per task, with its name and nursery, about listeners left on its signal", async () => {
    await nursery(
      (n) => {
        n.spawn(function leaky(task) {
          task.signal.addEventListener("abort", () => undefined);
          task.signal.addEventListener("abort", () => undefined);
        }, { name: "leaky" });
        n.spawn(function tidy(task) {
          const listener = (): void => undefined;
          task.signal.addEventListener("abort", listener);
          task.signal.removeEventListener("abort", listener);
        }, { name: "tidy" });
      },
      { name: "jobs" },
    );
    await afterChecks();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^nursery leak warning: task "leaky" in nursery "jobs".*: 2 listeners are still on its signal after it ended/);
  });

  it("prints each warning to stderr with the task's definition site, in a real program", async () => {
    const program = spawnFixture(join(__dirname, "fixtures", "leaks.mjs"));
    try {
      const exit = await program.exited;
      expect(exit.code).toBe(0);
      expect(exit.stderr.trimEnd().split("\n")).toEqual([
        expect.stringMatching(/^nursery leak warning: task "leaky" in nursery "jobs" \(defined at file:\S+leaks\.mjs:\d+:\d+\): 1 listener is still on its signal after it ended/),
      ]);
    } finally {
      program.kill();
    }
  });

  it("warns about a timer or interval a task created and left pending, not about one it cleared", async () => {
    const intervals: Array<ReturnType<typeof setInterval>> = [];
    await nursery((n) => {
      n.spawn(() => {
        intervals.push(setInterval(() => undefined, 60_000));
      }, { name: "ticker" });
      n.spawn(async () => {
        const t = setTimeout(() => undefined, 60_000);
        try {
          await null;
        } finally {
          clearTimeout(t);
        }
      }, { name: "careful" });
    });
    await afterChecks();
    for (const i of intervals) clearInterval(i);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('task "ticker"');
    expect(lines[0]).toContain("1 timer it created is still pending after it ended");
  });

  it("warns about a nursery opened inside a task without its signal, not about linked ones", async () => {
    await nursery((n) => {
      n.spawn(async function forgetsSignal() {
        await nursery((inner) => {
          inner.spawn(() => undefined);
        }, { name: "detached" });
      }, { name: "forgets" });
      n.spawn(async function linksSignal(task) {
        await nursery(async (inner) => {
          // A nursery linked to the body's signal, itself linked to the task: linked too.
          await nursery((deeper) => {
            deeper.spawn(() => undefined);
          }, { name: "deeper", signal: inner.signal });
          inner.spawn(() => undefined);
        }, { name: "linked", signal: task.signal });
      }, { name: "links" });
    });
    await afterChecks();
    expect(lines).toEqual([expect.stringMatching(/task "forgets" .*: nursery "detached" was opened inside it without \{ signal: task\.signal \}/)]);
  });

  it("warns about a task still running when its nursery's childGrace passed", async () => {
    const clock = new VirtualClock();
    const done = nursery(
      async (n) => {
        n.spawn(waitForCancel, { name: "polite" });
        n.spawn(() => new Promise<void>((resolve) => clock.setTimer(5_000, resolve)), { name: "stubborn" });
        await null;
        n.cancel();
      },
      { name: "pool", childGrace: 100, clock },
    );
    await clock.advance(100);
    await clock.advance(5_000);
    await done;
    await afterChecks();
    expect(lines).toEqual([expect.stringMatching(/task "stubborn" in nursery "pool".*: still running after its nursery's childGrace passed/)]);
  });

  it("says nothing about tasks that clean up, cancelled concurrently or in reverse order", async () => {
    for (const cancelOrder of ["reverse", "concurrent"] as const) {
      await nursery(async (n) => {
        for (let i = 0; i < 3; i++) n.spawn(waitForCancel);
        await null;
        n.cancel();
      }, { cancelOrder, childGrace: 1_000 });
    }
    await afterChecks();
    expect(lines).toEqual([]);
  });

  it("regression: shows a name with a newline or an escape sequence escaped, on one line", async () => {
    await nursery((n) => {
      n.spawn((task) => task.signal.addEventListener("abort", () => undefined), { name: "a\nnursery leak warning: forged\x1b[2J" });
    }, { name: "jobs\u202e" });
    await afterChecks();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^nursery leak warning: task "a\\nnursery leak warning: forged\\x1b\[2J" in nursery "jobs\\u202e"/);
    expect(lines[0]).not.toMatch(/[\n\x1b\u202e]/);
  });

  it("regression: gives the file of a task defined in a module loaded after the first warning, not \"script <id>\"", async () => {
    const program = spawnFixture(join(__dirname, "fixtures", "leaks-late.mjs"));
    try {
      const exit = await program.exited;
      expect(exit.code).toBe(0);
      expect(exit.stderr.trimEnd().split("\n")).toEqual([
        expect.stringMatching(/^nursery leak warning: task "first" in nursery "nursery" \(defined at file:\S+leaks-late\.mjs:\d+:\d+\)/),
        expect.stringMatching(/^nursery leak warning: task "second" in nursery "nursery" \(defined at file:\S+leaks-late-module\.mjs:\d+:\d+\)/),
      ]);
    } finally {
      program.kill();
    }
  });

  it("regression: does not keep every timer a long-lived task made, only the pending ones, and still counts those", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    let firstTimer: WeakRef<object> | undefined;
    let left: ReturnType<typeof setTimeout> | undefined;
    await nursery((n) => {
      n.spawn(async () => {
        for (let i = 0; i < 500; i++) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 0);
            firstTimer ??= new WeakRef(t);
          });
        }
        // Still running: the fired timers must be collectable already.
        gc();
        expect(firstTimer?.deref()).toBeUndefined();
        left = setTimeout(() => undefined, 60_000);
      }, { name: "poller" });
    });
    await afterChecks();
    clearTimeout(left);
    expect(lines).toEqual([expect.stringMatching(/task "poller" .*: 1 timer it created is still pending after it ended/)]);
  });

  it("regression: a write that throws is an uncaught error, and the other tasks' warnings still come", async () => {
    const program = spawnFixture(join(__dirname, "fixtures", "leaks-writer.mjs"));
    try {
      const exit = await program.exited;
      expect({ code: exit.code, stdout: exit.stdout }).toEqual({ code: 0, stdout: "uncaught writer broke\nwarned x y z\n" });
    } finally {
      program.kill();
    }
  });

  it("subscribes to nothing once turned off, and nothing before it is turned on", async () => {
    disable();
    expect([channels.spawn.hasSubscribers, channels.cancel.hasSubscribers, channels.settle.hasSubscribers]).toEqual([false, false, false]);
    await nursery((n) => {
      n.spawn((task) => task.signal.addEventListener("abort", () => undefined));
    });
    await afterChecks();
    expect(lines).toEqual([]);
  });
});
