// Runs the conformance suite on each runtime: every file in tests/ and native/, one process per
// runtime and file, one runtime at a time (the machine is shared). Run by Node.
//
//   node conformance/run.mjs [--runtimes node,bun,deno,node22,...] [--require] [--results file.json]
//
// `node` is the Node running this script; the others come from .cache/runtimes (.ci/runtimes.mjs).
// Default: node, plus Bun and Deno when they are installed. A runtime asked for with --runtimes or
// --require that is not installed fails the run; a default one that is missing is named in one line.
// Exit status: 0 only if every file on every runtime passed.
import { spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { installed, runtimes } from "../.ci/runtimes.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..");
// A file that hangs past this is killed and counted as failed: a safety net, not a time budget.
const FILE_LIMIT_MS = 180_000;

const { values } = parseArgs({
  options: { runtimes: { type: "string" }, require: { type: "boolean", default: false }, results: { type: "string" } },
});

const files = ["tests", "native"].flatMap((dir) =>
  readdirSync(join(here, dir)).filter((f) => f.endsWith(".test.mjs")).sort().map((f) => join(here, dir, f)),
);

const asked = values.runtimes?.split(",").filter(Boolean);
const wanted = asked ?? ["node", "bun", "deno"];
const plan = [];
const missing = [];
for (const name of wanted) {
  if (name === "node") {
    plan.push({ name, label: `Node ${process.versions.node}`, bin: process.execPath });
    continue;
  }
  if (runtimes[name] === undefined) throw new TypeError(`Unknown runtime \`${name}\`; known: node, ${Object.keys(runtimes).join(", ")}`);
  const bin = installed(name);
  if (bin === undefined) missing.push(name);
  else plan.push({ name, label: runtimes[name].label, bin });
}

const runs = [];
for (const { name, label, bin } of plan) {
  for (const file of files) {
    const started = Date.now();
    const result = await runFile(bin, name === "deno" ? ["run", "-A"] : [], file);
    const seconds = (Date.now() - started) / 1000;
    const rel = relative(here, file);
    runs.push({ runtime: label, file: rel, ...result, seconds });
    const counts = result.notLoaded ?? `${result.passed} passed, ${result.failed} failed`;
    console.log(`conformance ${label.padEnd(12)} ${rel.padEnd(28)} ${counts.padEnd(20)} ${seconds.toFixed(1)} s`);
    if (result.failed > 0) console.log(result.output.replace(/^/gm, "  | "));
  }
}

const failed = runs.reduce((sum, r) => sum + r.failed, 0) + (values.require || asked ? missing.length : 0);
if (missing.length > 0) {
  const labels = missing.map((name) => runtimes[name].label).join(" and ");
  const why = `not in .cache/runtimes: \`npm run runtimes\` installs them, .ci/run does it first`;
  if (values.require || asked) console.log(`conformance FAILED: ${labels} required but ${why}`);
  else console.log(`conformance not run on ${labels} (${why})`);
}
if (values.results !== undefined) {
  writeFileSync(values.results, JSON.stringify({ suite: "conformance", runs, missing }, null, 2));
}
process.exitCode = failed === 0 ? 0 : 1;

/** Runs one file on one runtime; counts its `ok` / `not ok` lines and checks its last line. */
function runFile(bin, prefix, file) {
  return new Promise((resolve) => {
    const child = spawn(bin, [...prefix, join(here, "main.mjs"), file], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (output += chunk));
    const limit = setTimeout(() => {
      output += `\nkilled: still running after ${FILE_LIMIT_MS} ms`;
      child.kill("SIGKILL");
    }, FILE_LIMIT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(limit);
      const passed = output.match(/^ok /gm)?.length ?? 0;
      let failed = output.match(/^not ok /gm)?.length ?? 0;
      const summary = /^# (\{"passed".*\})$/m.exec(output);
      // A file that crashed, hung, or exited non-zero without a failing test counts as one failure.
      if (summary === null || (code !== 0 && failed === 0)) {
        failed++;
        output += `\nexited with ${signal ?? code} ${summary === null ? "before its summary line" : ""}`;
      }
      const notLoaded = /^# not loaded: \S+ \((.*)\)$/m.exec(output)?.[1];
      resolve({ passed, failed, output, ...(notLoaded === undefined ? {} : { notLoaded }) });
    });
  });
}
