import { afterEach, describe, expect, it } from "@jest/globals";
import { constants } from "node:os";
import { join } from "node:path";
import { spawnFixture, type Fixture, type FixtureExit } from "@nursery/core/testing";

// The demo runs against the built packages (dist/), like the core's signal fixtures: `npx tsc -b` first.
const DEMO = join(__dirname, "..", "demo", "crawl.mjs");
const running: Fixture[] = [];

function demo(...args: string[]): Fixture {
  const f = spawnFixture(DEMO, { args });
  running.push(f);
  return f;
}

afterEach(() => {
  for (const f of running.splice(0)) f.kill();
});

const lines = (text: string): string[] => text.split("\n").filter((l) => l !== "");
/** Who cleaned up, in the order the `cleanup:` lines were printed. */
const cleanedUp = (stdout: string): string[] =>
  lines(stdout).flatMap((l) => /^cleanup: (\S+)/.exec(l)?.[1] ?? []);
/** The exit status a shell reports: a process killed by SIGINT reads as 130, like exit(130). */
const shellCode = (exit: FixtureExit): number | null =>
  exit.signal === null ? exit.code : 128 + constants.signals[exit.signal];

describe("demo crawler", () => {
  it("on Ctrl+C stops progress, the workers newest-first, then the queue and the server, and exits 130", async () => {
    const app = demo("--workers", "4", "--pages", "1000", "--delay", "200");
    await app.waitForLine(/^progress: \d+\/1000 pages/);
    app.signal("SIGINT");
    const exit = await app.exited;

    expect(exit.code).toBe(130);
    expect(cleanedUp(exit.stdout)).toEqual(["progress", "worker-4", "worker-3", "worker-2", "worker-1", "queue", "server"]);
    for (const line of lines(exit.stdout).filter((l) => l.startsWith("cleanup: worker-"))) {
      expect(line).toMatch(/^cleanup: worker-\d stopped \(was (fetching \/page\/\d+|waiting for a URL)\)$/);
    }
    // One line on stderr, from run(); nothing about the cancellations themselves.
    expect(exit.stderr).toBe("received SIGINT, shutting down (press Ctrl+C again to force)\n");
    // Progress is not a log flood that keeps going during the shutdown: it is the first to stop.
    const out = lines(exit.stdout);
    expect(out.findLastIndex((l) => l.startsWith("progress: "))).toBeLessThan(out.findIndex((l) => l.startsWith("cleanup: ")));
    expect(out.some((l) => l.startsWith("done: "))).toBe(false);
  });

  it("on a second Ctrl+C during a hung cleanup exits at once with 130 and prints what was still running", async () => {
    const app = demo("--workers", "3", "--pages", "1000", "--delay", "200", "--slow-cleanup");
    await app.waitForLine(/^progress: /);
    app.signal("SIGINT");
    await app.waitForLine("cleanup: worker-3 is saving its partial download");
    app.signal("SIGINT");
    const exit = await app.exited;

    // run() exits 130 itself; if the shared machine starved the loop long enough for run()'s
    // blocked-loop watchdog to fire, the default disposition kills it with SIGINT: also 130 in a shell.
    expect(shellCode(exit)).toBe(130);
    expect(exit.stderr).toContain("still running:");
    expect(exit.stderr).toMatch(/worker-3 \[cancelling, \d[^\]]*\] at file:.*crawl\.mjs:\d+:\d+/);
    expect(exit.stderr).toMatch(/worker-1 \[running, /);
    expect(exit.stderr).toMatch(/queue \[running, /);
    expect(exit.stderr).toMatch(/server \[running, /);
    // Forced: nothing older than the hung worker got to clean up.
    expect(cleanedUp(exit.stdout)).toEqual(["progress", "worker-3"]);
  });

  it("crawls every page, cleans up the rest newest-first and exits 0 with a summary", async () => {
    const exit = await demo("--workers", "3", "--pages", "25", "--delay", "5").exited;

    expect(exit.code).toBe(0);
    expect(exit.stderr).toBe("");
    // The workers finished on their own (queue drained); the rest is stopped newest-first.
    expect(cleanedUp(exit.stdout)).toEqual(["progress", "queue", "server"]);
    expect(exit.stdout).toContain("cleanup: progress stopped at 25/25 pages\n");
    expect(exit.stdout).toContain("cleanup: queue closed (0 known pages not downloaded)\n");
    expect(exit.stdout).toContain("cleanup: server closed (served 25 pages)\n");
    expect(lines(exit.stdout).at(-1)).toMatch(/^done: 25 pages \(\d+ kB\) in \d+\.\d s with 3 workers$/);
  });

  it("documents its options with --help and exits 0", async () => {
    const exit = await demo("--help").exited;

    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/^Usage: crawl \[options\]/);
    for (const option of ["--workers <n>", "--pages <n>", "--delay <ms>", "--slow-cleanup", "--help"]) {
      expect(exit.stdout).toContain(option);
    }
    expect(exit.stdout).toContain("for demonstration");
  });

  it.each([
    [["--workers", "0"], "error: option '-w, --workers <n>' argument '0' is invalid. Expected an integer from 1 to 64, got `0`."],
    [["--pages", "ten"], "error: option '-p, --pages <n>' argument 'ten' is invalid. Expected an integer from 1 to 100000, got `ten`."],
    [["--delay", "1.5"], "error: option '-d, --delay <ms>' argument '1.5' is invalid. Expected an integer from 0 to 60000, got `1.5`."],
    [["--bogus"], "error: unknown option '--bogus'"],
  ])("rejects %j with a clear message and a non-zero exit, starting nothing", async (args, message) => {
    const exit = await demo(...args).exited;

    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain(`${message}\n`);
    expect(exit.stderr).toContain("(run with --help for usage)");
    expect(exit.stdout).toBe("");
  });
});
