import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { run } from "@nursery/core";
import { spawnFixture, type Fixture } from "@nursery/core/testing";

const TREE = join(__dirname, "fixtures", "tree.mjs");
const running: Fixture[] = [];

function start(mode: string): Fixture {
  const f = spawnFixture(TREE, { args: [mode] });
  running.push(f);
  return f;
}

function cleanupLines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.startsWith("cleanup "));
}

afterEach(() => {
  for (const f of running.splice(0)) f.kill();
});

describe("run", () => {
  it.each([
    ["SIGINT", 130, "press Ctrl+C again to force"],
    ["SIGTERM", 143, "send SIGTERM again to force"],
    ["SIGHUP", 129, "send SIGHUP again to force"],
  ] as const)("on %s cleans up nested nurseries newest-first and exits %d", async (sig, code, hint) => {
    const app = start("graceful");
    await app.waitForLine("ready");
    app.signal(sig);
    const exit = await app.exited;
    expect(exit.code).toBe(code);
    expect(cleanupLines(exit.stdout)).toEqual(["cleanup request-2", "cleanup request-1", "cleanup db-pool"]);
    // One short line, nothing about the cancellations themselves.
    expect(exit.stderr).toBe(`received ${sig}, shutting down (${hint})\n`);
  });

  it("forces the exit on a second SIGINT while a task ignores cancellation, printing the task tree", async () => {
    const app = start("ignore");
    await app.waitForLine("ready");
    app.signal("SIGINT");
    await app.waitForLine("received SIGINT, shutting down");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(exit.stderr).toContain("received SIGINT again, exiting now; still running:");
    expect(exit.stderr).toMatch(/stubborn \[cancelling, \d[^\]]*\] at file:.*tree\.mjs:\d+:\d+/);
    expect(exit.stderr).toMatch(/request-1 \[running, \d[^\]]*\]/);
  });

  it("forces the exit on a second SIGTERM too, with 143 and the task tree", async () => {
    const app = start("ignore");
    await app.waitForLine("ready");
    app.signal("SIGTERM");
    await app.waitForLine("received SIGTERM, shutting down");
    app.signal("SIGTERM");
    const exit = await app.exited;
    expect(exit.code).toBe(143);
    expect(exit.stderr).toContain("received SIGTERM again, exiting now; still running:");
    expect(exit.stderr).toMatch(/stubborn \[cancelling, /);
  });

  it("exits 1 and prints the error once when a cleanup fails during a signal-driven shutdown, after every other cleanup ran", async () => {
    const app = start("cleanupfails");
    await app.waitForLine("ready");
    app.signal("SIGINT");
    const exit = await app.exited;
    // A real error wins over the signal: the exit code says something failed, not "interrupted".
    expect(exit.code).toBe(1);
    expect(cleanupLines(exit.stdout)).toEqual(["cleanup request-2", "cleanup request-1", "cleanup db-pool"]);
    expect(exit.stderr.startsWith("received SIGINT, shutting down (press Ctrl+C again to force)\n")).toBe(true);
    expect(exit.stderr.match(/Error: flush failed/g)).toHaveLength(1);
    expect(exit.stderr).not.toMatch(/CancelledError|cancelled:/);
  });

  it("forces the exit on a second SIGINT while cleanup blocks the event loop", async () => {
    const app = start("block");
    await app.waitForLine("ready");
    app.signal("SIGINT");
    // The watchdog notices the blocked loop and restores the default disposition.
    await app.waitForLine("the next signal exits at once");
    app.signal("SIGINT");
    const exit = await app.exited;
    // Killed by the signal itself: a shell reports 128+2 = 130.
    expect(exit.signal).toBe("SIGINT");
    expect(exit.stderr).toMatch(/blocker \[cancelling, /);
  });

  it("lists the stragglers by name and definition site and exits 1 when shutdownTimeout passes", async () => {
    const app = start("slow");
    await app.waitForLine("ready");
    app.signal("SIGTERM");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain("shutdown did not finish within 300 ms");
    expect(exit.stderr).toContain("6 tasks were still running:\nmain (nursery, cancelling)");
    expect(exit.stderr).toMatch(/└─ slowCleanup \[cancelling, \d[^\]]*\] at file:.*tree\.mjs:\d+:\d+/);
  });

  it("exits 0 with nothing on stderr when main succeeds", async () => {
    const exit = await start("ok").exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toBe("work done\n");
    expect(exit.stderr).toBe("");
  });

  it("prints a failure exactly once and exits 1 after the other tasks cleaned up", async () => {
    const exit = await start("fail").exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr.match(/Error: disk full/g)).toHaveLength(1);
    expect(cleanupLines(exit.stdout)).toEqual(["cleanup bystander"]);
  });

  it("exits with the error's exitCode when it carries one", async () => {
    const exit = await start("exitcode").exited;
    expect(exit.code).toBe(3);
  });

  it("turns an uncaught exception into a graceful shutdown that exits 1", async () => {
    const exit = await start("uncaught").exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr.match(/Error: kaboom/g)).toHaveLength(1);
    expect(cleanupLines(exit.stdout)).toEqual(["cleanup bystander"]);
  });

  it("calls return() on an async iterator that is mid-iteration when the signal arrives", async () => {
    const app = start("iterator");
    await app.waitForLine("ready");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.stdout).toContain("iterator closed");
    expect(exit.code).toBe(130);
  });

  it("does not lose a signal that arrives after main finished but before the process exited", async () => {
    const app = start("late");
    await app.waitForLine("main done");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.stdout).not.toContain("late timer fired");
    expect(exit.signal === "SIGINT" || exit.code === 130).toBe(true);
  });
});

describe("run in a worker thread, and importing the packages", () => {
  const WORKER = join(__dirname, "fixtures", "worker.mjs");
  const IMPORTS = join(__dirname, "fixtures", "imports.mjs");
  const fixture = (path: string, args: string[] = []): Fixture => {
    const f = spawnFixture(path, { args });
    running.push(f);
    return f;
  };

  it("in a worker thread listens to no signal and ends only that worker, with the exit code", async () => {
    const exit = await fixture(WORKER, ["fail"]).exited;
    expect(exit.code).toBe(0); // the main thread was not ended by the worker's run()
    expect(exit.stdout).toBe("worker listeners during main 0,0,0\nworker exited 3; main thread listeners 0,0,0\n");
    expect(exit.stderr.match(/Error: worker failed/g)).toHaveLength(1);
  });

  it("refuses signals in a worker thread with a TypeError naming the option", async () => {
    const exit = await fixture(WORKER, ["signals"]).exited;
    expect(exit.stdout).toBe(
      "TypeError: Expected `signals` to be [] in a worker thread (signals reach the main thread only), got `[array(1)]` (object)\n" +
        "worker exited 0; main thread listeners 0,0,0\n",
    );
  });

  it("regression: refuses treeSignal in a worker thread (nursery-ps would signal, and kill, the whole process)", async () => {
    const exit = await fixture(WORKER, ["tree"]).exited;
    expect(exit.stdout).toBe(
      'TypeError: Expected `treeSignal` to be undefined in a worker thread (signals reach the main thread only), got `"SIGUSR2"` (string)\n' +
        "worker exited 0; main thread listeners 0,0,0\n",
    );
  });

  it("installs no process listener when any package is imported", async () => {
    const exit = await fixture(IMPORTS).exited;
    expect(exit.code).toBe(0);
    const { before, after } = JSON.parse(exit.stdout) as { before: Record<string, number>; after: Record<string, number> };
    expect(after).toEqual(before);
  });
});

describe("run with exit: false", () => {
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "unhandledRejection", "uncaughtException"] as const;
  const counts = (): number[] => events.map((e) => process.listenerCount(e));

  it("resolves with 0 on success and removes every listener it added", async () => {
    const before = counts();
    let during: number[] = [];
    const code = await run(
      async () => {
        during = counts();
      },
      { exit: false },
    );
    expect(code).toBe(0);
    expect(during).toEqual(before.map((n) => n + 1));
    expect(counts()).toEqual(before);
  });

  it("resolves with 130 when SIGINT arrives, after cleanup ran, and removes its listeners", async () => {
    const before = counts();
    const log: string[] = [];
    const code = await run(
      async (task) => {
        try {
          await new Promise((_, reject) => {
            task.signal.addEventListener("abort", () => reject(task.signal.reason));
            process.emit("SIGINT", "SIGINT");
          });
        } finally {
          log.push(`cleanup: ${String((task.signal.reason as Error).message)}`);
        }
      },
      { exit: false },
    );
    expect(code).toBe(130);
    expect(log).toEqual(['cleanup: cancelled: received SIGINT (nursery "main")']);
    expect(counts()).toEqual(before);
  });

  it("runs next to a signal listener the program already has: both run, and the program's stays installed", async () => {
    const calls: string[] = [];
    const mine = (): void => void calls.push("program's own SIGINT listener");
    process.on("SIGINT", mine);
    try {
      const before = counts();
      const code = await run(
        async (task) => {
          await new Promise((_, reject) => {
            task.signal.addEventListener("abort", () => reject(task.signal.reason));
            process.emit("SIGINT", "SIGINT");
          });
        },
        { exit: false },
      );
      expect(code).toBe(130);
      expect(calls).toEqual(["program's own SIGINT listener"]);
      expect(counts()).toEqual(before);
      expect(process.listeners("SIGINT")).toContain(mine);
    } finally {
      process.removeListener("SIGINT", mine);
    }
  });

  it("rejects bad options with a TypeError naming the option", () => {
    expect(() => run(() => undefined, { shutdownTimeout: -1, exit: false })).toThrow(
      "Expected `shutdownTimeout` to be a number >= 0 or Infinity, got `-1` (number)",
    );
    expect(() => run(() => undefined, { onSecondSignal: "twice" as never, exit: false })).toThrow(TypeError);
    expect(() => run(42 as never)).toThrow("Expected `main` to be a function, got `42` (number)");
  });
});
