import { afterEach, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnFixture, type Fixture } from "@nursery/core/testing";
import { FILE_HEADER, checkTreeSignal, treeFile } from "../src/run/tree-request.js";

const FIXTURE = join(__dirname, "fixtures", "tree-request.mjs");
const CLI = join(__dirname, "..", "dist", "cli", "nursery-ps.js");
const running: Fixture[] = [];
function start(file: string, args: string[] = []): Fixture {
  const f = spawnFixture(file, { args });
  running.push(f);
  return f;
}
afterEach(() => {
  for (const f of running.splice(0)) {
    f.kill();
    // A SIGKILLed program cannot remove its tree file.
    if (f.child.pid !== undefined) rmSync(treeFile(f.child.pid), { force: true });
  }
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

describe("answerTreeRequests on hostile trees", () => {
  it("regression: answers for a tree 20 000 nurseries deep (it overflowed the stack, an uncaught error that shut the program down)", async () => {
    const app = start(FIXTURE, ["deep"]);
    await app.waitForLine("ready", { timeout: 60_000 });
    app.signal("SIGUSR2");
    await app.waitForLine(/deeper than 100 levels, not shown$/);
    app.child.stdin?.write("ping\n");
    await app.waitForLine("pong 1");
    const tree = lastTree(app.stderr());
    // The root, main, app, db-pool, pinger, then 100 levels below main (one line each).
    expect(tree.length).toBeLessThan(120);
    expect(tree.at(-1)).toMatch(/└─ … \d+ tasks and \d+ nurseries deeper than 100 levels, not shown$/);
  });

  it("regression: shows a task name with a newline and terminal escape sequences escaped, on one line", async () => {
    const app = start(FIXTURE, ["hostile"]);
    await app.waitForLine("ready");
    app.signal("SIGUSR2");
    await app.waitForLine(/└─ pinger \[running/);
    const text = app.stderr().slice(app.stderr().lastIndexOf("task tree of pid"));
    expect(text).not.toMatch(/\x1b|\x07/);
    expect(text).not.toContain("\n└─ forged");
    expect(text).toContain("├─ db\\n└─ forged [running, 1 ms]\\x1b[2J\\x1b]0;owned\\x07 [running, ");
  });

  it("regression: a tree that cannot be rendered is answered with why, and the program goes on working", async () => {
    const app = start(FIXTURE, ["bad-clock"]);
    await app.waitForLine("ready");
    app.child.stdin?.write("break\nping\n");
    await app.waitForLine("pong 1");
    app.signal("SIGUSR2");
    await app.waitForLine(/could not be rendered: the clock is broken$/);
    app.child.stdin?.write("ping\n");
    await app.waitForLine("pong 2");
    expect(app.stderr()).not.toContain("uncaught");
  });

  it("regression: removes the tree file when the program ends by process.exit(), skipping run()'s finish", async () => {
    const app = start(FIXTURE);
    await app.waitForLine("ready");
    const pid = app.child.pid as number;
    expect(existsSync(treeFile(pid))).toBe(true);
    app.child.stdin?.write("exit\n");
    expect((await app.exited).code).toBe(3);
    expect(existsSync(treeFile(pid))).toBe(false);
  });
});

describe("nursery-ps failures", () => {
  it("regression: prints a failure as one line, not as an inspected error with its exitCode", async () => {
    const exit = await start(CLI, ["4194304999"]).exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toBe(`nursery-ps: pid 4194304999 does not answer tree requests (no ${treeFile(4194304999)}); run it under run() with the treeSignal option\n`);
  });

  it("regression: refuses pid 0 (the caller's own process group) as a usage error", async () => {
    const exit = await start(CLI, ["0"]).exited;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toBe('nursery-ps: unexpected argument "0"\nusage: nursery-ps <pid> [--timeout ms]\n');
  });

  it("regression: says the program ended before it answered, exit 1, when it exits on the request", async () => {
    const app = start(FIXTURE, ["exit-on-ask"]);
    await app.waitForLine("ready");
    const exit = await start(CLI, [String(app.child.pid), "--timeout", "60000"]).exited;
    expect({ code: exit.code, stdout: exit.stdout, stderr: exit.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: `nursery-ps: pid ${app.child.pid} ended before it answered\n`,
    });
    expect((await app.exited).code).toBe(0);
  });

  it("regression: sends nothing when the tree file names a signal that is never a tree signal (SIGKILL)", async () => {
    const silent = start(join(__dirname, "fixtures", "tree.mjs"), ["graceful"]);
    await silent.waitForLine("ready");
    const pid = silent.child.pid as number;
    try {
      writeFileSync(treeFile(pid), `${FILE_HEADER}SIGKILL\n`, { mode: 0o600 });
      const exit = await start(CLI, [String(pid)]).exited;
      expect({ code: exit.code, stderr: exit.stderr }).toEqual({
        code: 1,
        stderr: `nursery-ps: ${treeFile(pid)} names SIGKILL, which is not a tree signal; nothing was sent\n`,
      });
    } finally {
      rmSync(treeFile(pid), { force: true });
    }
    silent.signal("SIGINT");
    expect((await silent.exited).code).toBe(130);
  });

  // Only root can make a file owned by someone else and run nursery-ps as another user.
  (process.getuid?.() === 0 ? it : it.skip)("regression: trusts no tree file written by another user", async () => {
    const silent = start(join(__dirname, "fixtures", "tree.mjs"), ["graceful"]);
    await silent.waitForLine("ready");
    const pid = silent.child.pid as number;
    try {
      // Written by root, readable by all: as user "nobody", nursery-ps must not act on it.
      writeFileSync(treeFile(pid), `${FILE_HEADER}SIGUSR2\n`);
      chmodSync(treeFile(pid), 0o644);
      const child = spawn(process.execPath, [CLI, String(pid)], { uid: 65534, gid: 65534, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve)).finally(() => clearTimeout(timer));
      expect({ code, stderr }).toEqual({
        code: 1,
        stderr: `nursery-ps: ${treeFile(pid)} belongs to another user (uid 0), not to you (uid 65534); nothing was sent\n`,
      });
    } finally {
      rmSync(treeFile(pid), { force: true });
    }
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
