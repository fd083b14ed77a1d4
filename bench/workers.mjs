#!/usr/bin/env node
// Benchmark of @nursery/workers against raw piscina, in fresh processes, round-robin:
//   throughput  10,000 small jobs (i => i + 1) through 2 warm threads, both pools in each process,
//               alternating rounds: ms, and the throughput ratio nursery / raw per round
//   cancel      a running CPU loop is cancelled; ms from cancel() until its `finally` ran in the
//               worker (nursery: checkpoint(); raw piscina: AbortController.abort(), which
//               terminates the thread: the cleanup never runs), then until the next job's result
//               (nursery reuses the thread; piscina first replaces it). Median and p99.
//
//   node bench/workers.mjs [--runs 5] [--jobs 10000] [--cancels 100]
//
// Imports the built packages: run `npx tsc -b` first (`npm run bench` does). Bounded: each child
// process is killed after 120 s and the whole run after 15 min.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const file = fileURLToPath(import.meta.url);
const jobsFile = new URL("./workers-job.mjs", import.meta.url);
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};

// ===== child: one measurement, printed as JSON =====

const now = () => performance.timeOrigin + performance.now();

async function waitFor(array, index, predicate) {
  while (!predicate(Atomics.load(array, index))) {
    const w = Atomics.waitAsync(array, index, Atomics.load(array, index), 5000);
    if (w.async) await w.value;
  }
}

// Both pools in one process, warm, measured in alternating rounds: load from elsewhere on the
// machine then falls on both alike, and each round gives one ratio.
async function throughput(jobs) {
  const { nursery } = await import("@nursery/core");
  const { openPool } = await import("@nursery/workers");
  const { Piscina } = await import("piscina");
  const raw = new Piscina({ filename: fileURLToPath(jobsFile), name: "rawAdd", minThreads: 2, maxThreads: 2 });
  const out = { nursery: [], raw: [] };
  await nursery(async (n) => {
    const pool = openPool(n, jobsFile, { minThreads: 2, maxThreads: 2 });
    const round = async (submit) => {
      const t0 = performance.now();
      const all = [];
      for (let i = 0; i < jobs; i++) all.push(submit(i));
      await Promise.all(all);
      return performance.now() - t0;
    };
    const viaPool = (i) => pool.run(n, i, { export: "add" });
    const viaRaw = (i) => raw.run(i);
    await round(viaPool);
    await round(viaRaw);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so neither always runs right after the other's garbage.
      if (r % 2 === 0) {
        out.nursery.push(await round(viaPool));
        out.raw.push(await round(viaRaw));
      } else {
        out.raw.push(await round(viaRaw));
        out.nursery.push(await round(viaPool));
      }
    }
    pool.close();
  });
  await raw.destroy();
  return out;
}

async function cancelNursery(cancels) {
  const { nursery } = await import("@nursery/core");
  const { openPool } = await import("@nursery/workers");
  const toCleanup = [];
  const toNext = [];
  let cleanups = 0;
  await nursery(async (n) => {
    const pool = openPool(n, jobsFile, { minThreads: 1, maxThreads: 1 });
    await pool.run(n, 0, { export: "add" });
    for (let i = 0; i < cancels; i++) {
      const done = new Int32Array(new SharedArrayBuffer(16));
      const job = pool.run(n, { done }, { export: "spin" });
      await waitFor(done, 1, (v) => v === 1);
      const t0 = now();
      job.cancel();
      await job.then(undefined, () => undefined);
      await pool.run(n, 0, { export: "add" });
      toNext.push(now() - t0);
      cleanups += Atomics.load(done, 0);
      toCleanup.push(new Float64Array(done.buffer)[1] - t0);
    }
    pool.close();
  });
  return { toCleanup, toNext, cleanups };
}

async function cancelRaw(cancels) {
  const { Piscina } = await import("piscina");
  const pool = new Piscina({ filename: fileURLToPath(jobsFile), minThreads: 1, maxThreads: 1 });
  await pool.run(0, { name: "rawAdd" });
  const toReject = [];
  const toNext = [];
  let cleanups = 0;
  for (let i = 0; i < cancels; i++) {
    const done = new Int32Array(new SharedArrayBuffer(16));
    const controller = new AbortController();
    const job = pool.run({ done }, { name: "rawSpin", signal: controller.signal });
    await waitFor(done, 1, (v) => v === 1);
    const t0 = now();
    controller.abort();
    await job.then(undefined, () => undefined);
    toReject.push(now() - t0);
    await pool.run(0, { name: "rawAdd" });
    toNext.push(now() - t0);
    cleanups += Atomics.load(done, 0);
  }
  await pool.destroy();
  return { toReject, toNext, cleanups };
}

const ROUNDS = 6;
const CHILDREN = { throughput, cancelNursery, cancelRaw };

if (args[0] === "--child") {
  const result = await CHILDREN[args[1]](Number(args[2]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

// ===== parent: fresh processes, round-robin, medians =====

function runChild(name, size) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, "--child", name, String(size)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`${name} exited with ${code ?? signal}`));
    });
  });
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const median = (values) => quantile(values, 0.5);
const fmt = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

const runs = option("runs", 5);
const jobs = option("jobs", 10_000);
const cancels = option("cancels", 100);
const overall = setTimeout(() => {
  console.error("bench/workers.mjs: did not finish within 15 min");
  process.exit(1);
}, 15 * 60_000);

const rounds = { nursery: [], raw: [], ratio: [] };
for (let r = 0; r < runs; r++) {
  const result = await runChild("throughput", jobs);
  rounds.nursery.push(...result.nursery);
  rounds.raw.push(...result.raw);
  rounds.ratio.push(...result.raw.map((ms, i) => ms / result.nursery[i]));
}
const nurseryCancel = { toCleanup: [], toNext: [], cleanups: 0, total: 0 };
const rawCancel = { toReject: [], toNext: [], cleanups: 0, total: 0 };
for (let r = 0; r < runs; r++) {
  const a = await runChild("cancelNursery", cancels);
  nurseryCancel.toCleanup.push(...a.toCleanup);
  nurseryCancel.toNext.push(...a.toNext);
  nurseryCancel.cleanups += a.cleanups;
  nurseryCancel.total += cancels;
  const b = await runChild("cancelRaw", cancels);
  rawCancel.toReject.push(...b.toReject);
  rawCancel.toNext.push(...b.toNext);
  rawCancel.cleanups += b.cleanups;
  rawCancel.total += cancels;
}
clearTimeout(overall);

const tn = median(rounds.nursery);
const tr = median(rounds.raw);
console.log(`Node ${process.version}, ${runs} fresh processes, 2 threads per pool`);
console.log(`\nthroughput: ${jobs.toLocaleString("en")} small jobs, ${rounds.raw.length} alternating rounds each, median [min - max] ms`);
console.log(`  raw piscina        ${fmt(tr)} [${fmt(Math.min(...rounds.raw))} - ${fmt(Math.max(...rounds.raw))}]  ${Math.round((jobs / tr) * 1000).toLocaleString("en")} jobs/s`);
console.log(`  @nursery/workers   ${fmt(tn)} [${fmt(Math.min(...rounds.nursery))} - ${fmt(Math.max(...rounds.nursery))}]  ${Math.round((jobs / tn) * 1000).toLocaleString("en")} jobs/s`);
console.log(`  throughput of nursery / raw (goal >= 0.9): median of per-round ratios ${median(rounds.ratio).toFixed(2)}x, of the fastest rounds ${(Math.min(...rounds.raw) / Math.min(...rounds.nursery)).toFixed(2)}x`);
console.log(`\ncancel a running CPU loop (${nurseryCancel.total} cancellations each), ms: median / p99`);
console.log(`  @nursery/workers   cancel() -> finally ran in the worker  ${fmt(median(nurseryCancel.toCleanup))} / ${fmt(quantile(nurseryCancel.toCleanup, 0.99))}   cleanups run ${nurseryCancel.cleanups}/${nurseryCancel.total}`);
console.log(`                     cancel() -> next job's result           ${fmt(median(nurseryCancel.toNext))} / ${fmt(quantile(nurseryCancel.toNext, 0.99))}   (same thread)`);
console.log(`  raw piscina        abort() -> run() rejected               ${fmt(median(rawCancel.toReject))} / ${fmt(quantile(rawCancel.toReject, 0.99))}   cleanups run ${rawCancel.cleanups}/${rawCancel.total} (thread terminated)`);
console.log(`                     abort() -> next job's result           ${fmt(median(rawCancel.toNext))} / ${fmt(quantile(rawCancel.toNext, 0.99))}   (new thread)`);
