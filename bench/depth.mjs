// Cancelling deep chains (issue 16, item 5): time from the outer abort until every level's cleanup
// ran and the outermost scope settled, in fresh processes, for a chain of nested nurseries (each
// opened with `{ signal: task.signal }`) and chains of nested moveOnAfter / failAfter scopes (each
// on the signal of the one above). Checks that every cleanup ran, innermost first.
//   node bench/depth.mjs [--runs 5] [--depths 10000,100000]
// Uses the built packages (packages/*/dist): run `npx tsc -b` first.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(option("--runs", "5"));
const depths = option("--depths", "10000,100000").split(",").map(Number);
const HOUR = 3_600_000;

if (process.env.NURSERY_DEPTH_CHILD) {
  const { nursery, moveOnAfter, failAfter } = await import("@nursery/core");
  const [kind, depthText] = process.env.NURSERY_DEPTH_CHILD.split(":");
  const depth = Number(depthText);
  const log = [];
  let ready;
  const allOpen = new Promise((resolve) => (ready = resolve));
  const leaf = (signal) =>
    new Promise((_, reject) => {
      ready();
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  // One level per turn on the way in: entering is the caller's recursion, not what is measured.
  const nurseryLevel = (i) => async (task) => {
    await null;
    try {
      if (i === depth) await leaf(task.signal);
      else await nursery((n) => void n.spawn(nurseryLevel(i + 1)), { signal: task.signal });
    } finally {
      log.push(i);
    }
  };
  const scope = kind === "moveOnAfter" ? moveOnAfter : failAfter;
  const scopeLevel = async (i, signal) => {
    await null;
    try {
      if (i === depth) await leaf(signal);
      else await scope(HOUR, (inner) => scopeLevel(i + 1, inner), { signal });
    } finally {
      log.push(i);
    }
  };
  const outer = new AbortController();
  const done =
    kind === "nursery"
      ? nursery((n) => void n.spawn(nurseryLevel(1)), { signal: outer.signal })
      : scopeLevel(1, outer.signal);
  const settled = done.then(
    () => "resolved",
    (err) => err?.name ?? String(err),
  );
  await allOpen;
  const start = performance.now();
  outer.abort("stop");
  const outcome = await settled;
  const ms = performance.now() - start;
  const ordered = log.length === depth && log.every((v, i) => v === depth - i);
  if (!ordered) throw new Error(`${kind} x ${depth}: ${log.length} cleanups, order ${ordered ? "kept" : "broken"}`);
  process.stdout.write(`${JSON.stringify({ ms, outcome })}\n`);
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const kinds = ["nursery", "moveOnAfter", "failAfter"];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`cancel a chain of nested scopes, ${runs} fresh processes per figure, node ${process.version}`);
console.log("chain          depth     cancel -> all cleanup (ms)   outer outcome");
for (const depth of depths) {
  for (const kind of kinds) {
    const samples = [];
    let outcome = "";
    for (let r = 0; r < runs; r++) {
      const out = spawnSync(process.execPath, [self], {
        env: { ...process.env, NURSERY_DEPTH_CHILD: `${kind}:${depth}` },
        encoding: "utf8",
        timeout: 600_000,
      });
      if (out.status !== 0) throw new Error(`${kind} x ${depth} failed: ${out.stderr || out.error}`);
      const result = JSON.parse(out.stdout);
      samples.push(result.ms);
      outcome = result.outcome;
    }
    const m = median(samples);
    console.log(
      `${kind.padEnd(14)} ${depth.toLocaleString("en").padEnd(9)} ${`${m.toFixed(1)} [${Math.min(...samples).toFixed(1)} - ${Math.max(...samples).toFixed(1)}]`.padEnd(28)} ${outcome}`,
    );
  }
}
