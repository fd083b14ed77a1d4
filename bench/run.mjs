#!/usr/bin/env node
// Benchmark driver: every scenario x implementation in fresh `node --expose-gc` child processes,
// round-robin across implementations, median [min - max] per figure, ratios against nursery, the
// issue's performance bars checked, and the results written as JSON (and the table as text)
// under bench/results/.
//
//   node bench/run.mjs [--quick] [--scenario 1,3] [--impl nursery,effect] [--runs 5]
//                      [--out file.json] [--profile] [--timeout ms]
//
// Run `npm run bench` from the root (it builds first); see bench/README.md.

import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { measureBundles } from "./lib/bundle.mjs";
import { IMPLS, selectScenarios } from "./lib/scenarios.mjs";
import { summarize } from "./lib/stats.mjs";
import { formatNumber, renderScenario } from "./lib/table.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, "lib", "child.mjs");

function parseArgs(argv) {
  const options = { quick: false, scenarios: [], impls: [], runs: undefined, out: undefined, profile: false, timeout: undefined };
  const list = (value) => value.split(",").map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new TypeError(`Expected a value after \`${arg}\``);
      return next;
    };
    if (arg === "--quick") options.quick = true;
    else if (arg === "--scenario") options.scenarios.push(...list(value()));
    else if (arg === "--impl") options.impls.push(...list(value()));
    else if (arg === "--runs") options.runs = Number(value());
    else if (arg === "--out") options.out = resolve(value());
    else if (arg === "--profile") options.profile = true;
    else if (arg === "--timeout") options.timeout = Number(value());
    else if (arg === "--help" || arg === "-h") {
      console.log("usage: node bench/run.mjs [--quick] [--scenario 1,2,3a,3b,4,5,6] [--impl nursery,effection,effect,floor] [--runs k] [--out file.json] [--profile] [--timeout ms]");
      process.exit(0);
    } else throw new TypeError(`Unknown argument \`${arg}\``);
  }
  if (options.runs !== undefined && !(Number.isInteger(options.runs) && options.runs >= 1)) {
    throw new TypeError(`Expected \`--runs\` to be an integer >= 1, got \`${options.runs}\``);
  }
  for (const impl of options.impls) {
    if (!IMPLS.includes(impl)) throw new TypeError(`Expected \`--impl\` to be one of ${IMPLS.join(", ")}, got \`${impl}\``);
  }
  return options;
}

/** Runs one measurement in a fresh process; resolves to `{ result }` or `{ error }`, never rejects. */
function runChild(impl, scenarioId, params, { timeout, profileDir, tag }) {
  const flags = ["--expose-gc", "--max-old-space-size=8192"];
  if (profileDir) flags.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${tag}.cpuprofile`);
  return new Promise((resolvePromise) => {
    const proc = spawn(process.execPath, [...flags, child, impl, scenarioId, JSON.stringify(params)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (chunk) => (stdout += chunk));
    proc.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeout);
    proc.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (code === 0 && line) {
        resolvePromise({ result: JSON.parse(line.slice("RESULT ".length)) });
      } else {
        const why = signal === "SIGKILL" ? `killed after ${timeout} ms` : `exit ${code ?? signal}`;
        resolvePromise({ error: `${why}: ${stderr.trim().split("\n").slice(0, 8).join("\n") || "(no output)"}` });
      }
    });
  });
}

function summarizeRow(row, scenario) {
  const metrics = {};
  for (const metric of scenario.metrics) {
    const samples = row.samples.map((s) => s[metric.key]).filter((x) => typeof x === "number");
    metrics[metric.key] = { ...summarize(samples), samples };
  }
  return metrics;
}

const median = (scenarioResults, id, row, key) =>
  scenarioResults.get(id)?.rows.find((r) => r.row === row)?.metrics?.[key]?.median;

/** The issue's performance bars, checked on the medians; `met` is null when a figure is missing. */
function checkBars(results) {
  const bars = [];
  const add = (id, text, met, detail) => bars.push({ id, text, met, detail });
  const has = (...xs) => xs.every((x) => Number.isFinite(x));

  const n1 = median(results, "1", "nursery", "ms");
  const e1 = median(results, "1", "effect", "ms");
  const f1 = median(results, "1", "floor", "ms");
  if (results.has("1")) {
    add("1", "spawn+join at least as fast as Effect v4", has(n1, e1) ? n1 <= e1 : null,
      has(n1, e1) ? `nursery ${formatNumber(n1)} ms vs Effect ${formatNumber(e1)} ms` : "missing figure");
    add("1", "spawn+join at least 0.8x the floor's throughput", has(n1, f1) ? f1 / n1 >= 0.8 : null,
      has(n1, f1) ? `nursery at ${(f1 / n1).toFixed(2)}x the floor's throughput` : "missing figure");
  }
  if (results.has("2")) {
    const n2 = median(results, "2", "nursery", "cancelMs");
    const e2 = median(results, "2", "effect", "cancelMs");
    add("2", "cancel sleeping tasks no slower than Effect v4", has(n2, e2) ? n2 <= e2 : null,
      has(n2, e2) ? `nursery ${formatNumber(n2)} ms vs Effect ${formatNumber(e2)} ms` : "missing figure");
  }
  if (results.has("3a")) {
    const n3 = median(results, "3a", "nursery", "bytesPerTask");
    add("3a", "at most 600 B per suspended task", has(n3) ? n3 <= 600 : null,
      has(n3) ? `nursery ${formatNumber(n3)} B per idle task` : "missing figure");
  }
  if (results.has("4")) {
    const growth = median(results, "4", "nursery", "bytesPerIter");
    const n4 = median(results, "4", "nursery", "opsPerSec");
    const e4 = median(results, "4", "effect", "opsPerSec");
    add("4", "flat heap in a long-lived nursery (growth <= 1 B per iteration)", has(growth) ? growth <= 1 : null,
      has(growth) ? `nursery ${formatNumber(growth)} B per iteration` : "missing figure");
    add("4", "sequential spawn+join at least Effect v4's throughput", has(n4, e4) ? n4 >= e4 : null,
      has(n4, e4) ? `nursery ${formatNumber(n4)} ops/s vs Effect ${formatNumber(e4)} ops/s` : "missing figure");
  }
  if (results.has("5")) {
    const rows = results.get("5").rows;
    const ok = rows.find((r) => r.row === "nursery")?.metrics?.orderOk;
    add("5", "nursery cancels the tree in exact reverse order", ok && ok.n > 0 ? ok.min === 1 : null,
      rows.map((r) => `${r.row}: ${r.metrics?.orderOk?.min === 1 ? "exact" : r.metrics ? "NOT exact" : "failed"}`).join(", "));
  }
  if (results.has("6")) {
    const gz = median(results, "6", "core alone", "gzBytes");
    add("6", "@nursery/core at most 6 KB (6,144 B) min+gz", has(gz) ? gz <= 6144 : null,
      has(gz) ? `core alone ${gz.toLocaleString("en-US")} B min+gz` : "missing figure");
    const rest = median(results, "6", "core without run()", "gzBytes");
    add("6", "core without run() at most 5 KB (5,120 B) min+gz", has(rest) ? rest <= 5120 : null,
      has(rest) ? `core without run() ${rest.toLocaleString("en-US")} B min+gz` : "missing figure");
    add("6", "run() at most 1.5 KB (1,536 B) min+gz on top of the rest", has(gz, rest) ? gz - rest <= 1536 : null,
      has(gz, rest) ? `run() adds ${(gz - rest).toLocaleString("en-US")} B min+gz` : "missing figure");
  }
  return bars;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const mode = options.quick ? "quick" : "full";
  const runs = options.runs ?? (options.quick ? 1 : 5);
  const timeout = options.timeout ?? (options.quick ? 60_000 : 1_200_000);
  const impls = options.impls.length ? IMPLS.filter((i) => options.impls.includes(i)) : IMPLS;
  const scenarios = selectScenarios(options.scenarios);
  if (scenarios.length === 0) throw new TypeError(`No scenario matches \`${options.scenarios.join(",")}\``);

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const resultsDir = join(here, "results");
  const out = options.out ?? join(resultsDir, `${stamp}${options.quick ? "-quick" : ""}.json`);
  const profileDir = options.profile ? join(resultsDir, "profiles", stamp) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  console.log(`bench: ${mode} mode, ${runs} run(s) per figure, node ${process.version}, ${os.cpus().length} CPUs`);
  const started = Date.now();
  const results = new Map();
  let failures = 0;

  for (const scenario of scenarios) {
    const params = scenario.params[mode];
    const title = scenario.title(params);
    console.log(`\n[${scenario.id}] ${title}`);
    let rows;
    if (scenario.kind === "bundle") {
      rows = (await measureBundles())
        .filter((spec) => impls.includes(spec.impl))
        .map((spec) => {
          const samples = spec.result ? [spec.result] : [];
          if (spec.error) failures++;
          const row = { row: spec.row, impl: spec.impl, entry: spec.entry ?? `@nursery/core without ${spec.without.join(", ")}`, samples, error: spec.error };
          return { ...row, metrics: samples.length ? summarizeRow(row, scenario) : undefined };
        });
    } else {
      rows = [
        ...impls.map((impl) => ({ row: impl, impl, samples: [], errors: [] })),
        ...(scenario.variants ?? [])
          .filter((v) => impls.includes(v.impl))
          .map((v) => ({ row: v.row, impl: v.impl, variant: v.variant, samples: [], errors: [] })),
      ];
      for (let run = 0; run < runs; run++) {
        for (const row of rows) {
          const tag = `s${scenario.id}-${row.impl}${row.variant ? `-${row.variant}` : ""}-run${run + 1}`;
          const childParams = row.variant ? { ...params, variant: row.variant } : params;
          const outcome = await runChild(row.impl, scenario.id, childParams, { timeout, profileDir, tag });
          if (outcome.error) {
            failures++;
            row.errors.push(outcome.error);
            console.log(`  ${row.row} run ${run + 1}/${runs}: FAILED ${outcome.error.split("\n")[0]}`);
          } else {
            row.samples.push(outcome.result);
            const first = scenario.metrics[0];
            console.log(`  ${row.row} run ${run + 1}/${runs}: ${first.label} ${formatNumber(outcome.result[first.key])} ${first.unit}`);
          }
        }
      }
      for (const row of rows) {
        row.error = row.errors.length ? row.errors[0] : undefined;
        row.metrics = row.samples.length ? summarizeRow(row, scenario) : undefined;
      }
    }
    results.set(scenario.id, { id: scenario.id, title, params, rows });
  }

  const bars = checkBars(results);
  const note = "median [min - max] over fresh processes; x nursery = median / nursery's median";
  const tables = [...results.values()].map((r) => {
    const scenario = scenarios.find((s) => s.id === r.id);
    const base = r.rows.find((row) => row.row === "nursery");
    return renderScenario(scenario, r.title, r.rows, base, r.id === "6" ? "one build each (deterministic)" : note);
  });
  const barLines = bars.map(
    (b) => `  [${b.met === true ? "met" : b.met === false ? "NOT MET" : "n/a"}] ${b.id}: ${b.text} - ${b.detail}`,
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const text = [
    `nursery bench, ${mode} mode, ${runs} run(s) per figure; node ${process.version} on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}); ${new Date().toISOString()}`,
    "",
    tables.join("\n\n"),
    "",
    `Performance bars${options.quick ? " (quick mode: sizes are small, indicative only)" : ""}:`,
    ...barLines,
    "",
    `${failures} failed measurement(s); ${seconds} s`,
  ].join("\n");
  console.log(`\n${text}`);

  const json = {
    meta: {
      date: new Date().toISOString(),
      mode,
      runs,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      argv: process.argv.slice(2),
      seconds: Number(seconds),
      failures,
    },
    scenarios: [...results.values()],
    bars,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(out.replace(/\.json$/, "") + ".txt", `${text}\n`);
  console.log(`results: ${relative(process.cwd(), out) || out}`);
  if (profileDir) console.log(`profiles: ${relative(process.cwd(), profileDir)} (node bench/lib/top-frames.mjs <file>)`);
  process.exitCode = failures ? 1 : 0;
}

await main();
