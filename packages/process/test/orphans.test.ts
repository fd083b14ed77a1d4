// A Ctrl+C on a program under run() leaves no process behind: not its children, not theirs, and
// a child's SIGTERM trap gets to run. The fixture imports the built packages (run `npx tsc -b`).
import { describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { isAlive, processTreeFixture, waitForFile } from "./helpers.js";

const tree = processTreeFixture(join(__dirname, "fixtures", "orphans.mjs"));

describe("run() with child processes", () => {
  it.each([
    ["main awaits its processes", "await"],
    ["main returned without awaiting them", "unawaited"],
  ])("leaves no orphan process on Ctrl+C when %s", async (_what, mode) => {
    const { app, trapFile } = await tree.start(mode);
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code === 130 || exit.signal === "SIGINT").toBe(true);
    expect(exit.stderr).not.toMatch(/error/i); // cancellations are not reported as failures
    expect(tree.pids().map(isAlive)).toEqual([false, false, false]);
    expect(await waitForFile(trapFile)).toBe("trapped\n");
  }, 30_000);
});
