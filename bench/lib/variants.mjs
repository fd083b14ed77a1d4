// The shared frame of the cost scripts (tracing.mjs, otel.mjs, leaks.mjs): read `--runs`/`--n`,
// run each variant in fresh processes (the script itself, with the variant in an environment
// variable), and print median [min - max] with the ratio against the variant's baseline.
import { spawnSync } from "node:child_process";

/** `--name value` from the command line as a number, or `fallback`. */
export function numberOption(name, fallback, args = process.argv.slice(2)) {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs `script` once per variant per round with `env[envName] = variant`; each child prints
 * `{"ms": ...}` on stdout. Rounds alternate the variants so machine load spreads over all of them.
 * `baselineOf(variant)` names the variant each ratio is against.
 */
export function runVariants({ script, envName, variants, runs, n, label, baselineOf = () => variants[0] }) {
  const results = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < runs; r++) {
    for (const v of variants) {
      const out = spawnSync(process.execPath, [script, "--n", String(n)], { env: { ...process.env, [envName]: v }, encoding: "utf8" });
      if (out.status !== 0) throw new Error(`${v} failed: ${out.stderr}`);
      results[v].push(JSON.parse(out.stdout).ms);
    }
  }
  const width = Math.max(13, ...variants.map((v) => v.length + 1));
  console.log(`${label} ${n.toLocaleString("en")} tasks, ${runs} fresh processes per figure, node ${process.version}`);
  console.log(`${"variant".padEnd(width)} ${"time (ms)".padEnd(25)} x ${baselineOf(variants[0])}`);
  for (const v of variants) {
    const xs = results[v];
    const m = median(xs);
    const base = median(results[baselineOf(v)]);
    console.log(`${v.padEnd(width)} ${`${m.toFixed(1)} [${Math.min(...xs).toFixed(1)} - ${Math.max(...xs).toFixed(1)}]`.padEnd(25)} ${(m / base).toFixed(2)}`);
  }
  return results;
}
