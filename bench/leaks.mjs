// Cost of core's leak-warning debug mode (enableLeakWarnings): spawn + join of N tasks in fresh
// processes, each task either suspending once ("await") or also creating and clearing a timer
// ("timer"), plain vs with leak warnings on. Prints median [min - max] and the ratio. Run
// `npx tsc -b` first.
//   node bench/leaks.mjs [--runs 5] [--n 100000]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = option("--runs", 5);
const n = option("--n", 100_000);

if (process.env.NURSERY_LEAKS_CHILD) {
  const [mode, work] = process.env.NURSERY_LEAKS_CHILD.split(":");
  const { nursery } = await import("@nursery/core");
  if (mode === "warnings") {
    const { enableLeakWarnings } = await import("../packages/core/dist/leak-warnings.js");
    enableLeakWarnings({ write: (line) => { throw new Error(`unexpected warning: ${line}`); } });
  }
  const task =
    work === "timer"
      ? async () => {
          const t = setTimeout(() => undefined, 60_000);
          await null;
          clearTimeout(t);
        }
      : async () => {
          await null;
        };
  const once = async () => {
    const start = performance.now();
    await nursery(async (nu) => {
      for (let i = 0; i < n; i++) nu.spawn(task);
    });
    // The checks run one macrotask after each task settled: count them in.
    await new Promise((resolve) => setImmediate(resolve));
    return performance.now() - start;
  };
  await once(); // warm-up
  process.stdout.write(`${JSON.stringify({ ms: await once() })}\n`);
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const variants = ["plain:await", "warnings:await", "plain:timer", "warnings:timer"];
const results = Object.fromEntries(variants.map((v) => [v, []]));
for (let r = 0; r < runs; r++) {
  for (const v of variants) {
    const out = spawnSync(process.execPath, [self, "--n", String(n)], { env: { ...process.env, NURSERY_LEAKS_CHILD: v }, encoding: "utf8" });
    if (out.status !== 0) throw new Error(`${v} failed: ${out.stderr}`);
    results[v].push(JSON.parse(out.stdout).ms);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`spawn + join ${n.toLocaleString("en")} tasks, ${runs} fresh processes per figure, node ${process.version}`);
console.log("variant           time (ms)                 x plain");
for (const v of variants) {
  const xs = results[v];
  const m = median(xs);
  const plain = median(results[`plain:${v.split(":")[1]}`]);
  console.log(`${v.padEnd(17)} ${`${m.toFixed(1)} [${Math.min(...xs).toFixed(1)} - ${Math.max(...xs).toFixed(1)}]`.padEnd(25)} ${(m / plain).toFixed(2)}`);
}
