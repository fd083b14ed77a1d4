// Cost of core's optional diagnostics: spawn + join of N tasks that each suspend once, in fresh
// processes, (a) plain, (b) with a subscriber on every nursery:* diagnostics channel, (c) with
// enableCurrentTask() (AsyncLocalStorage). Prints median [min - max] and the ratio against plain.
//   node bench/tracing.mjs [--runs 5] [--n 100000]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = option("--runs", 5);
const n = option("--n", 100_000);

if (process.env.NURSERY_TRACING_CHILD) {
  const { nursery, channels, enableCurrentTask } = await import("@nursery/core");
  const variant = process.env.NURSERY_TRACING_CHILD;
  if (variant === "subscriber") {
    const noop = () => undefined;
    for (const ch of Object.values(channels)) ch.subscribe(noop);
  }
  if (variant === "currentTask") enableCurrentTask();
  const once = async () => {
    const start = performance.now();
    await nursery(async (nu) => {
      for (let i = 0; i < n; i++) nu.spawn(async () => { await null; });
    });
    return performance.now() - start;
  };
  await once(); // warm-up
  process.stdout.write(`${JSON.stringify({ ms: await once() })}\n`);
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const variants = ["plain", "subscriber", "currentTask"];
const results = Object.fromEntries(variants.map((v) => [v, []]));
for (let r = 0; r < runs; r++) {
  for (const v of variants) {
    const out = spawnSync(process.execPath, [self, "--n", String(n)], {
      env: { ...process.env, NURSERY_TRACING_CHILD: v },
      encoding: "utf8",
    });
    if (out.status !== 0) throw new Error(`${v} failed: ${out.stderr}`);
    results[v].push(JSON.parse(out.stdout).ms);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const plain = median(results.plain);
console.log(`spawn + join ${n.toLocaleString("en")} tasks, ${runs} fresh processes per figure, node ${process.version}`);
console.log("variant       time (ms)                 x plain");
for (const v of variants) {
  const xs = results[v];
  const m = median(xs);
  console.log(
    `${v.padEnd(13)} ${`${m.toFixed(1)} [${Math.min(...xs).toFixed(1)} - ${Math.max(...xs).toFixed(1)}]`.padEnd(25)} ${(m / plain).toFixed(2)}`,
  );
}
