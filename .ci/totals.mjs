// The totals over everything .ci/run ran: a table of tests run and passed per runtime and package,
// then, as the very last line, `tests: <n> passed, <m> failed`.
//
//   node .ci/totals.mjs <results dir> [failed step...]
//
// The directory holds jest's --json files (jest-<runtime>.json), conformance/run.mjs's
// (conformance-<runtime>.json) and the output of steps that print one `name: N passed, N failed`
// line (line-<name>.txt: the packaging test, the docs site's browser check). A failed step that left no failing test behind (lint, an install,
// a crash before any result) counts as one failure, so the last line can never read "0 failed"
// after a failure.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { root, runtimes } from "./runtimes.mjs";

const [dir, ...failedSteps] = process.argv.slice(2);
try {
  const rows = new Map(); // "runtime\tpackage" -> { passed, failed, skipped }
  const add = (runtime, pkg, passed, failed, skipped = 0) => {
    const key = `${runtime}\t${pkg}`;
    const row = rows.get(key) ?? { passed: 0, failed: 0, skipped: 0 };
    row.passed += passed;
    row.failed += failed;
    row.skipped += skipped;
    rows.set(key, row);
  };

  const labelOf = (name) => (name === "node" ? `Node ${process.versions.node}` : (runtimes[name]?.label ?? name));

  for (const file of readdirSync(dir).sort()) {
    // line-<name>.txt: a step's output whose last `name: N passed, N failed` line is its count.
    const line = /^line-(.+)\.txt$/.exec(file);
    if (line !== null) {
      const counts = [...readFileSync(join(dir, file), "utf8").matchAll(/^[\w-]+: (\d+) passed, (\d+) failed/gm)].at(-1);
      if (counts === undefined) add(`Node ${process.versions.node}`, `${line[1]} (no totals line)`, 0, 1);
      else add(`Node ${process.versions.node}`, line[1], Number(counts[1]), Number(counts[2]));
      continue;
    }
    const match = /^(jest|conformance)-(.+)\.json$/.exec(file);
    if (match === null) continue;
    const data = JSON.parse(readFileSync(join(dir, file), "utf8"));
    if (match[1] === "jest") {
      for (const suite of data.testResults) {
        const parts = relative(root, suite.name).split(sep);
        const pkg = `jest ${parts[0] === "packages" ? parts[1] : parts[0]}`;
        const count = (status) => suite.assertionResults.filter((a) => a.status === status).length;
        // A suite that failed to run has no assertions: one failure.
        const broken = suite.status === "failed" && count("failed") === 0 ? 1 : 0;
        add(labelOf(match[2]), pkg, count("passed"), count("failed") + broken, count("pending") + count("todo"));
      }
    } else {
      for (const run of data.runs) {
        const pkg = `conformance ${run.file.replace(/^tests\//, "").replace(/\.test\.mjs$/, "")}`;
        add(run.runtime, pkg, run.passed, run.failed);
      }
      for (const name of data.missing) add(labelOf(name), "conformance (not installed)", 0, 1);
    }
  }

  // flaky-<runtime>.txt: files the Node matrix ran twice (see .ci/matrix.mjs), listed, not hidden.
  const flaky = readdirSync(dir).filter((f) => /^flaky-.+\.txt$/.test(f)).map((f) => readFileSync(join(dir, f), "utf8").trim());

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  console.log("\n| runtime | package | run | passed | failed |\n| --- | --- | --- | --- | --- |");
  for (const [key, row] of [...rows].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))) {
    const [runtime, pkg] = key.split("\t");
    console.log(`| ${runtime} | ${pkg} | ${row.passed + row.failed} | ${row.passed} | ${row.failed} |`);
    passed += row.passed;
    failed += row.failed;
    skipped += row.skipped;
  }
  if (failed === 0 && failedSteps.length > 0) failed = failedSteps.length;
  if (flaky.length > 0) console.log(`\nflaky (failed once, passed when run again):\n${flaky.map((l) => `  ${l}`).join("\n")}`);
  if (failedSteps.length > 0) console.log(`\nfailed steps: ${failedSteps.join(", ")}`);
  console.log(`tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
  process.exitCode = failed === 0 ? 0 : 1;
} catch (err) {
  // Unreadable results are a failure too, and the last line still says so.
  console.error(err);
  console.log(`tests: 0 passed, ${Math.max(1, failedSteps.length)} failed`);
  process.exitCode = 1;
}
