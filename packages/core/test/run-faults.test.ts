// run() under faults, with real child processes (fixtures/faults.mjs and tree.mjs, run against the
// built dist/): misuse of run(), failures that start a shutdown, closed stdio, errors printed the
// right number of times. Each waits on printed lines, never on time.
import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { spawnFixture, type Fixture } from "@nursery/core/testing";

const FAULTS = join(__dirname, "fixtures", "faults.mjs");
const TREE = join(__dirname, "fixtures", "tree.mjs");
const running: Fixture[] = [];

function start(file: string, mode: string): Fixture {
  const f = spawnFixture(file, { args: [mode] });
  running.push(f);
  return f;
}

afterEach(() => {
  for (const f of running.splice(0)) f.kill();
});

const REFUSAL = "run() is already active in this process";

describe("run, called more than once", () => {
  it("refuses a run() nested in main, and the outer tree still cleans up and exits 1", async () => {
    const exit = await start(FAULTS, "nested").exited;
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe("cleanup bystander\n");
    expect(exit.stderr.match(new RegExp(REFUSAL.replace(/[()]/g, "\\$&"), "g"))).toHaveLength(1);
  });

  it("refuses a second run() beside an active one, which keeps owning Ctrl+C alone", async () => {
    const app = start(FAULTS, "double");
    await app.waitForLine("ready");
    expect(app.stdout()).toContain(`second run refused: ${REFUSAL}`);
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(exit.stdout).not.toContain("second run's main ran");
    expect(exit.stdout).toContain("cleanup worker");
    expect(exit.stderr).toBe("received SIGINT, shutting down (press Ctrl+C again to force)\n");
  });

  it("runs again after an exit: false run finished", async () => {
    const exit = await start(FAULTS, "sequential").exited;
    expect(exit.stdout).toBe("first\nsecond\ncodes 0 4\nthird\n");
    expect(exit.code).toBe(0);
  });
});

describe("run, a shutdown started by a failure", () => {
  it("prints main's error when the shutdown starts, and a signal then forces the exit with the failure's code", async () => {
    const app = start(FAULTS, "failsignal");
    await app.waitForLine("Error: main failed");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain("received SIGINT (shutdown was already started by an error), exiting now; still running:");
    expect(exit.stderr).toMatch(/stubborn \[cancelling, /);
    expect(exit.stderr.match(/Error: main failed/g)).toHaveLength(1);
  });

  it("has the shutdown deadline when main fails, and prints main's error once", async () => {
    const app = start(FAULTS, "failtimeout");
    await app.waitForLine("shutdown did not finish within 300 ms");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr.match(/Error: main failed/g)).toHaveLength(1);
    expect(exit.stderr).toMatch(/stubborn \[cancelling, /);
  });

  it("has the shutdown deadline after an uncaught exception", async () => {
    const app = start(FAULTS, "uncaughttimeout");
    await app.waitForLine("shutdown did not finish within 300 ms");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr.match(/Error: kaboom/g)).toHaveLength(1);
  });
});

describe("run, every error exactly once", () => {
  it("prints a rejection that was handled late once", async () => {
    const exit = await start(FAULTS, "latehandled").exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr.match(/Error: handled late/g)).toHaveLength(1);
  });

  it("prints two equal primitive errors from two tasks both", async () => {
    const exit = await start(FAULTS, "primitives").exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toBe("2 errors:\n'timeout'\n'timeout'\n");
  });
});

describe("run, closed stdio", () => {
  it("shuts down on SIGINT with stderr closed and exits 130", async () => {
    const app = start(FAULTS, "stderrclosed");
    await app.waitForLine("ready");
    app.child.stderr?.destroy();
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(exit.stdout).toBe("ready\ncleanup worker\n");
  });

  it("shuts down on SIGINT with stdout and stderr closed (2>&1 | head -c1) and exits 130", async () => {
    const app = start(FAULTS, "bothclosed");
    await app.waitForLine("ready");
    app.child.stdout?.destroy();
    app.child.stderr?.destroy();
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
  });

  it("prints a closed stdout's EPIPE once, however many writes fail, and exits 1", async () => {
    const app = start(FAULTS, "stdoutclosed");
    await app.waitForLine("ready");
    app.child.stdout?.destroy();
    app.child.stdin?.end("go\n");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr.match(/Error: write EPIPE/g)).toHaveLength(1);
  });
});

describe("run, the second signal", () => {
  it("says which signal started the shutdown when a different one forces the exit", async () => {
    const app = start(TREE, "ignore");
    await app.waitForLine("ready");
    app.signal("SIGTERM");
    await app.waitForLine("received SIGTERM, shutting down");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(exit.stderr).toContain("received SIGINT (shutdown was already started by SIGTERM), exiting now; still running:");
    expect(exit.stderr).not.toContain("SIGINT again");
  });
});
