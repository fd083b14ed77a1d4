// Task trees and straggler reports name where a task's function was defined. In a bundled app
// (here fixtures/tree.mjs bundled by esbuild with a source map), that is a line of the bundle
// unless the process has source maps enabled: then it is the original source file, as in Node's
// own stack traces. Real processes, driven by printed lines.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { buildSync } from "esbuild";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnFixture, type Fixture } from "@nursery/core/testing";

const root = join(__dirname, "..", "..", "..");
const running: Fixture[] = [];
let dir = "";
let bundle = "";
// The line of the fixture that defines the task the report names.
const stubbornLine =
  readFileSync(join(__dirname, "fixtures", "tree.mjs"), "utf8").split("\n").findIndex((l) => l.includes("function stubborn")) + 1;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nursery-locate-"));
  bundle = join(dir, "app.mjs");
  const result = buildSync({
    entryPoints: [join(__dirname, "fixtures", "tree.mjs")],
    bundle: true,
    platform: "node",
    format: "esm",
    sourcemap: true,
    outfile: bundle,
    absWorkingDir: root,
    logLevel: "silent",
  });
  expect(result.errors).toEqual([]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(() => {
  for (const f of running.splice(0)) f.kill();
});

async function forcedExitReport(nodeArgs: string[]): Promise<string> {
  const app = spawnFixture(bundle, { args: ["ignore"], nodeArgs });
  running.push(app);
  await app.waitForLine("ready");
  app.signal("SIGINT");
  await app.waitForLine("received SIGINT, shutting down");
  app.signal("SIGINT");
  const exit = await app.exited;
  expect(exit.code).toBe(130);
  return exit.stderr;
}

describe("locate, in a bundled app", () => {
  it("names the original source file in the task tree when the process runs with --enable-source-maps", async () => {
    const stderr = await forcedExitReport(["--enable-source-maps"]);
    expect(stderr).toMatch(new RegExp(`stubborn \\[cancelling, [^\\]]*\\] at file:.*test/fixtures/tree\\.mjs:${stubbornLine}:\\d+`));
    expect(stderr).not.toMatch(/stubborn .* at file:.*app\.mjs/);
  });

  it("names the original source file when the app turns source maps on with process.setSourceMapsEnabled", async () => {
    const setup = join(dir, "enable.mjs");
    writeFileSync(setup, "process.setSourceMapsEnabled(true);\n");
    const stderr = await forcedExitReport(["--import", setup]);
    expect(stderr).toMatch(/stubborn \[cancelling, \d[^\]]*\] at file:.*test\/fixtures\/tree\.mjs:\d+:\d+/);
  });

  it("names the bundle's own line without source maps", async () => {
    const stderr = await forcedExitReport([]);
    expect(stderr).toMatch(/stubborn \[cancelling, \d[^\]]*\] at file:.*app\.mjs:\d+:\d+/);
  });
});
