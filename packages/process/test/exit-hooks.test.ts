// No child process outlives the program, however it exits: each live process registers an exit
// hook (core's onProcessExit) that SIGKILLs its group right before the process exits. The fixture
// imports the built packages (run `npx tsc -b`).
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { spawnFixture, type Fixture } from "@nursery/core/testing";
import { join } from "node:path";
import { isAlive, tempDir, waitUntil } from "./helpers.js";

const FIXTURE = join(__dirname, "fixtures", "exit-kinds.mjs");
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

async function startFixture(mode: string): Promise<Fixture> {
  fixture = spawnFixture(FIXTURE, { args: [mode, tmp.path(`trap-${mode}.txt`)] });
  const line = await fixture.waitForLine(/^pids /);
  pids = line.split(" ").slice(1).map(Number);
  expect(pids).toHaveLength(3);
  await fixture.waitForLine("ready");
  expect(pids.map(isAlive)).toEqual([true, true, true]);
  return fixture;
}

// SIGKILLed processes are reaped by init a moment after our exit: wait for that, bounded.
const gone = (): Promise<void> => waitUntil(() => pids.every((pid) => !isAlive(pid)), `pids ${pids.join(" ")} gone`);

describe("child processes when the program exits", () => {
  it("are killed when a second SIGINT forces the exit", async () => {
    const app = await startFixture("second");
    app.signal("SIGINT");
    await app.waitForLine("received SIGINT, shutting down");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(exit.stderr).toContain("received SIGINT again, exiting now");
    await gone();
  });

  it("are killed when the shutdown timeout ends the program", async () => {
    const app = await startFixture("timeout");
    app.signal("SIGTERM");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain("shutdown did not finish within 300 ms");
    await gone();
  });

  it("are killed when a failure's shutdown is forced by a signal", async () => {
    const app = await startFixture("failure");
    await app.waitForLine("Error: main failed");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr.match(/Error: main failed/g)).toHaveLength(1);
    await gone();
  });

  it("are killed when an uncaught exception ends the program without run()'s cleanup", async () => {
    const app = await startFixture("uncaught");
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain("uncaught, no run() cleanup");
    await gone();
  });

  it("are killed when a program without run() calls process.exit", async () => {
    const app = await startFixture("exit");
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    await gone();
  });
});
