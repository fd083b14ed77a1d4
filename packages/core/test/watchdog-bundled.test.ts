// run()'s blocked-loop watchdog in a program bundled into one file, where its Worker module file
// (dist/run/watchdog-worker.js) is not next to the code: the Worker runs the watchdog's own source
// text instead, and the second Ctrl+C during a cleanup that blocks the loop behaves as it does
// unbundled. Real processes (fixtures/blocking-cli.mjs, bundled by esbuild into a temporary folder
// with nothing else in it), driven by printed lines.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { buildSync, type BuildOptions } from "esbuild";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnFixture, type Fixture } from "@nursery/core/testing";

const root = join(__dirname, "..", "..", "..");
const FIXTURE = join(__dirname, "fixtures", "blocking-cli.mjs");
const WORKER_FILE = join(__dirname, "..", "dist", "run", "watchdog-worker.js");
const running: Fixture[] = [];
let dir = "";

/** Bundles the fixture into `<dir>/<name>/<file>`, alone in its folder. */
function bundle(name: string, file: string, options: BuildOptions): string {
  mkdirSync(join(dir, name));
  const outfile = join(dir, name, file);
  const result = buildSync({
    entryPoints: [FIXTURE],
    bundle: true,
    platform: "node",
    outfile,
    absWorkingDir: root,
    logLevel: "silent",
    ...options,
  });
  expect(result.errors).toEqual([]);
  return outfile;
}

const programs: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nursery-bundled-"));
  programs["esm"] = bundle("esm", "cli.mjs", { format: "esm" });
  // Renamed and minified; keepNames adds a helper call around every named function.
  programs["esm-min"] = bundle("esm-min", "cli.mjs", { format: "esm", minify: true, keepNames: true });
  // No import.meta.url at all: the file cannot even be looked for.
  programs["cjs-min"] = bundle("cjs-min", "cli.cjs", { format: "cjs", minify: true });
  // The worker file copied next to the bundle without the modules it imports (what a bundler that
  // copies `new URL(..., import.meta.url)` assets leaves): its Worker fails, the source text runs.
  programs["esm-copied-worker"] = bundle("esm-copied-worker", "cli.mjs", { format: "esm" });
  copyFileSync(WORKER_FILE, join(dir, "esm-copied-worker", "watchdog-worker.js"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(() => {
  for (const f of running.splice(0)) f.kill();
});

function start(file: string, nodeArgs: string[] = []): Fixture {
  const f = spawnFixture(file, { nodeArgs });
  running.push(f);
  return f;
}

/** Durations and definition sites differ from run to run and from bundle to bundle. */
function normalise(stderr: string): string {
  return stderr.replace(/ \[(\w+), [^\]]*\]/g, " [$1]").replace(/ at file:\S+/g, "");
}

// What the unbundled fixture prints (its own case below checks it too).
const REPORT = [
  "received SIGINT, shutting down (press Ctrl+C again to force)",
  "event loop blocked during shutdown; still running:",
  "main (nursery, cancelling)",
  "└─ main [cancelling]",
  "   └─ app (nursery, cancelling)",
  "      └─ blocker [cancelling]",
  "the next signal exits at once",
  "",
].join("\n");

/** Ctrl+C, the watchdog's report once cleanup blocked the loop, Ctrl+C: what `file` prints. */
async function blockedSecondSignal(file: string): Promise<void> {
  const app = start(file);
  await app.waitForLine("ready");
  app.signal("SIGINT");
  // The watchdog's report, or the fallback's tree printed at once when no watchdog started.
  await app.waitForLine(/the next signal exits at once|^still running:$/);
  expect(normalise(app.stderr())).toBe(REPORT);
  app.signal("SIGINT");
  const exit = await app.exited;
  // Killed by the signal itself: a shell reports 128+2 = 130.
  expect(exit.signal).toBe("SIGINT");
  expect(normalise(exit.stderr)).toBe(REPORT);
}

describe("run()'s blocked-loop watchdog in a bundled program", () => {
  it("prints the report this file expects when the fixture runs unbundled (the reference)", async () => {
    await blockedSecondSignal(FIXTURE);
  });

  it.each(["esm", "esm-min", "cjs-min", "esm-copied-worker"])(
    "regression: bundled (%s), a second SIGINT while cleanup blocks the loop exits by the signal after the same report",
    async (name) => {
      await blockedSecondSignal(programs[name]!);
    },
  );

  it("says on stderr why when no watchdog can start (the permission model without --allow-worker), and the second SIGINT still exits", async () => {
    const permission = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";
    const app = start(programs["esm"]!, [permission, "--allow-fs-read=*", "--no-warnings"]);
    await app.waitForLine("ready");
    app.signal("SIGINT");
    // Printed once the listeners are gone and cleanup blocks: the default disposition is back.
    await app.waitForLine("blocking the loop");
    expect(app.stderr()).toMatch(
      /^received SIGINT, shutting down \(press Ctrl\+C again to force\)\nthe blocked-loop watchdog could not start \(Error \[ERR_ACCESS_DENIED\]: [^\n]*\); a second signal now ends the process at once, without the task tree or the exit hooks \(see "Bundling a CLI" in @nursery\/core's docs\/guide\/shutdown-and-signals\.md\)\nstill running:\n/,
    );
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.signal).toBe("SIGINT");
  });
});
