import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { spawnFixture, type Fixture } from "@nursery/core/testing";

const BUSY = join(__dirname, "fixtures", "busy.mjs");
let app: Fixture | undefined;

afterEach(() => {
  app?.kill();
  app = undefined;
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("worker jobs under run()", () => {
  it("runs the jobs' cleanup in their threads, newest-first, on Ctrl+C and exits 130", async () => {
    app = spawnFixture(BUSY, { args: ["graceful"] });
    await app.waitForLine("ready");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    // Each cleanup ran in its worker thread, which saw the process signal as its reason.
    expect(exit.stdout.split("\n").filter((line) => line.startsWith("cleanup"))).toEqual([
      'cleanup hash-2: cancelled: received SIGINT (nursery "main")',
      'cleanup hash-1: cancelled: received SIGINT (nursery "main")',
    ]);
    expect(exit.stderr).not.toMatch(/Error/);
  });

  it("exits at once on a second Ctrl+C while jobs ignore cancellation, leaving no thread", async () => {
    app = spawnFixture(BUSY, { args: ["stubborn"] });
    await app.waitForLine("ready");
    const pid = app.child.pid as number;
    app.signal("SIGINT");
    await app.waitForLine(/received SIGINT, shutting down/);
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(exit.stderr).toMatch(/received SIGINT again, exiting now; still running:/);
    expect(exit.stderr).toMatch(/hash-2 \[cancelling/);
    expect(exit.stderr).toMatch(/hash-1 \[running/);
    // Worker threads live inside the process: once it is gone, so are they.
    expect(isAlive(pid)).toBe(false);
  });

  it("names the stuck worker job in the shutdown-timeout report and exits 1", async () => {
    app = spawnFixture(BUSY, { args: ["stuck"] });
    await app.waitForLine("ready");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/shutdown did not finish within 500 ms; 3 tasks were still running/);
    expect(exit.stderr).toMatch(/hash big\.iso \[cancelling/);
  });
});
