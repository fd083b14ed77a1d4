// A Ctrl+C on a program under run() leaves no process behind: not its children, not theirs, and
// a child's SIGTERM trap gets to run. The fixture imports the built packages (run `npx tsc -b`).
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { spawnFixture, type Fixture } from "@nursery/core/testing";
import { join } from "node:path";
import { isAlive, tempDir, waitForFile } from "./helpers.js";

const FIXTURE = join(__dirname, "fixtures", "orphans.mjs");
const tmp = tempDir();
let fixture: Fixture | undefined;
let pids: number[] = [];

afterEach(() => {
  fixture?.kill();
  fixture = undefined;
  // Only after a failure can any of these still exist; the check keeps a reused pid safe enough.
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  pids = [];
});
afterAll(() => tmp.remove());

describe("run() with child processes", () => {
  it.each([
    ["main awaits its processes", "await"],
    ["main returned without awaiting them", "unawaited"],
  ])("leaves no orphan process on Ctrl+C when %s", async (_what, mode) => {
    const trapFile = tmp.path(`trap-${mode}.txt`);
    fixture = spawnFixture(FIXTURE, { args: [mode, trapFile] });
    const line = await fixture.waitForLine(/^pids /);
    pids = line.split(" ").slice(1).map(Number);
    expect(pids).toHaveLength(3);
    await fixture.waitForLine("ready");
    expect(pids.map(isAlive)).toEqual([true, true, true]);

    fixture.signal("SIGINT");
    const exit = await fixture.exited;
    expect(exit.code === 130 || exit.signal === "SIGINT").toBe(true);
    expect(exit.stderr).not.toMatch(/error/i); // cancellations are not reported as failures
    expect(pids.map(isAlive)).toEqual([false, false, false]);
    expect(await waitForFile(trapFile)).toBe("trapped\n");
  }, 30_000);
});
