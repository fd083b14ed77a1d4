// No child process outlives the program, however it exits: each live process registers an exit
// hook (core's onProcessExit) that SIGKILLs its group right before the process exits. The fixture
// imports the built packages (run `npx tsc -b`).
import { describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { processTreeFixture } from "./helpers.js";

const tree = processTreeFixture(join(__dirname, "fixtures", "exit-kinds.mjs"));
const startFixture = async (mode: string) => (await tree.start(mode)).app;
// SIGKILLed processes are reaped by init a moment after our exit: wait for that, bounded.
const gone = tree.gone;

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
