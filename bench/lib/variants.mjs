// The shared frame of the cost scripts (tracing.mjs, otel.mjs, leaks.mjs): read `--runs`/`--n`,
// run each variant in fresh processes (the script itself, with the variant in an environment
// variable), and print median [min - max] with the ratio against the variant's baseline. A child
// that also prints `cpu` (its process's CPU ms over the same interval, every thread) gets a second
// ratio: on a machine shared with other work, wall time counts the waits for a core too.
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
  const cpuResults = {};
  for (let r = 0; r < runs; r++) {
    for (const v of variants) {
      const out = spawnSync(process.execPath, [script, "--n", String(n)], { env: { ...process.env, [envName]: v }, encoding: "utf8" });
      if (out.status !== 0) throw new Error(`${v} failed: ${out.stderr}`);
      const { ms, cpu } = JSON.parse(out.stdout);
      results[v].push(ms);
      if (cpu !== undefined) (cpuResults[v] ??= []).push(cpu);
    }
  }
  const width = Math.max(13, ...variants.map((v) => v.length + 1));
  console.log(`${label} ${n.toLocaleString("en")} tasks, ${runs} fresh processes per figure, node ${process.version}`);
  const withCpu = variants.every((v) => cpuResults[v]?.length === runs);
  const cpuHeader = withCpu ? `  ${"cpu (ms)".padEnd(25)} x ${baselineOf(variants[0])}` : "";
  console.log(`${"variant".padEnd(width)} ${"time (ms)".padEnd(25)} x ${baselineOf(variants[0])}${cpuHeader}`);
  const cell = (xs, base) => {
    const m = median(xs);
    return `${`${m.toFixed(1)} [${Math.min(...xs).toFixed(1)} - ${Math.max(...xs).toFixed(1)}]`.padEnd(25)} ${(m / median(base)).toFixed(2).padEnd(4)}`;
  };
  for (const v of variants) {
    const cpuCell = withCpu ? `  ${cell(cpuResults[v], cpuResults[baselineOf(v)])}` : "";
    console.log(`${v.padEnd(width)} ${cell(results[v], results[baselineOf(v)])}${cpuCell}`);
  }
  return withCpu ? { ...results, cpu: cpuResults } : results;
}

/**
 * The child's side: spawns `n` tasks running `work` into one nursery and joins them, once to warm
 * up and once measured, prints `{"ms", "cpu"}` (wall and CPU ms of the measured round) and exits.
 * `settleTurn`: also wait one macrotask after the nursery settled (for checks that run then).
 */
export async function reportSpawnJoin(n, work, { settleTurn = false } = {}) {
  const { nursery } = await import("@nursery/core");
  const once = async () => {
    const start = performance.now();
    const cpu = process.cpuUsage();
    await nursery(async (nu) => {
      for (let i = 0; i < n; i++) nu.spawn(work);
    });
    if (settleTurn) await new Promise((resolve) => setImmediate(resolve));
    const { user, system } = process.cpuUsage(cpu);
    return { ms: performance.now() - start, cpu: (user + system) / 1000 };
  };
  await once(); // warm-up
  process.stdout.write(`${JSON.stringify(await once())}\n`);
  process.exit(0);
}
