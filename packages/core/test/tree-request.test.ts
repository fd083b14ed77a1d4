import { afterEach, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawnFixture, type Fixture } from "@nursery/core/testing";
import { checkTreeSignal, treeFile } from "../src/run/tree-request.js";

const FIXTURE = join(__dirname, "fixtures", "tree-request.mjs");
const CLI = join(__dirname, "..", "dist", "cli", "nursery-ps.js");
const running: Fixture[] = [];
function start(file: string, args: string[] = []): Fixture {
  const f = spawnFixture(file, { args });
  running.push(f);
  return f;
}
afterEach(() => {
  for (const f of running.splice(0)) f.kill();
});

/** The lines of the tree that follow the last "task tree of pid" header in `text`. */
function lastTree(text: string): string[] {
  const at = text.lastIndexOf("task tree of pid");
  return text.slice(at).trimEnd().split("\n");
}

describe("answerTreeRequests", () => {
  it("prints the live tree on SIGUSR2 and through nursery-ps, twice, while the program goes on working", async () => {
    const app = start(FIXTURE);
    await app.waitForLine("ready");
    const pid = app.child.pid as number;

    app.signal("SIGUSR2");
    await app.waitForLine(/└─ pinger \[running/);
    const first = lastTree(app.stderr());
    expect(first[0]).toMatch(new RegExp(`^task tree of pid ${pid} at \\d{4}-\\d\\d-\\d\\dT`));
    expect(first.slice(1).map((l) => l.replace(/\[running, [^\]]+\]/, "[running, AGE]").replace(/ at file:\S+tree-request\.mjs:\d+:\d+$/, " at SITE"))).toEqual([
      "main (nursery)",
      "└─ main [running, AGE] at SITE",
      "   └─ app (nursery)",
      "      ├─ db-pool [running, AGE] at SITE",
      "      └─ pinger [running, AGE] at SITE",
    ]);
    app.child.stdin?.write("ping\n");
    await app.waitForLine("pong 1");

    const ps = start(CLI, [String(pid)]);
    const asked = await ps.exited;
    expect({ code: asked.code, stderr: asked.stderr }).toEqual({ code: 0, stderr: "" });
    // The same tree the program printed for this request, a moment later (ages differ).
    expect(lastTree(asked.stdout).slice(1).map((l) => l.replace(/, [^\]]+\]/, "]"))).toEqual(
      lastTree(app.stderr()).slice(1).map((l) => l.replace(/, [^\]]+\]/, "]")),
    );
    expect(asked.stdout).toMatch(/db-pool \[running, [^\]]+\] at file:\S+tree-request\.mjs:\d+:\d+/);
    app.child.stdin?.write("ping\n");
    await app.waitForLine("pong 2");

    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(exit.stderr.match(/^task tree of pid/gm)).toHaveLength(2);
    expect(existsSync(treeFile(pid))).toBe(false);
  });

  it("makes nursery-ps refuse, sending nothing, a program that does not answer tree requests", async () => {
    const silent = start(join(__dirname, "fixtures", "tree.mjs"), ["graceful"]);
    await silent.waitForLine("ready");
    const ps = start(CLI, [String(silent.child.pid)]);
    const exit = await ps.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain(`nursery-ps: pid ${silent.child.pid} does not answer tree requests`);
    // Not signalled (SIGUSR2 would have killed it): it still shuts down gracefully on Ctrl+C.
    silent.signal("SIGINT");
    expect((await silent.exited).code).toBe(130);
  });
});

describe("checkTreeSignal", () => {
  it("accepts a free signal and leaves the option off when it is not given", () => {
    expect(checkTreeSignal("SIGUSR2", ["SIGINT", "SIGTERM"])).toBe("SIGUSR2");
    expect(checkTreeSignal(undefined, [])).toBeUndefined();
  });

  it("refuses Node's own SIGUSR1 and a shutdown signal with the house TypeError", () => {
    expect(() => checkTreeSignal("SIGUSR1", ["SIGINT"])).toThrow(
      new TypeError('Expected `treeSignal` to be a signal name other than SIGKILL, SIGSTOP, SIGUSR1, SIGINT, got `"SIGUSR1"` (string)'),
    );
    expect(() => checkTreeSignal("SIGINT", ["SIGINT"])).toThrow(TypeError);
    expect(() => checkTreeSignal("SIGNOPE", [])).toThrow(TypeError);
  });
});
