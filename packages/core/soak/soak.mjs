// Soak: N sequential spawn/settle cycles in one long-lived nursery, checking that the heap stays
// flat. Run with a forced-GC-capable node, against the built package (`npx tsc -b` first):
//
//   node --expose-gc packages/core/soak/soak.mjs [--cycles 1000000] [--samples 20] [--tolerance-kib 2048]
//
// Tolerances: 2 MiB for the full 1M-cycle run (`npm run soak`; 2 B per cycle), 1 MiB for the 100k
// run in `npm test` (10 B per cycle). Measured noise on Node 20: under 0.5 MiB at 100k cycles and
// under 0.75 MiB at 1M; one retained 40-byte object per cycle grows 3.7 MiB per 100k cycles.
//
// `--retain-every K` keeps one small object every K cycles: a deliberate leak, so a test can show
// that this measurement does fail when something is retained per task.
//
// Each cycle spawns one task into the same nursery and awaits it, rotating through the paths that
// allocate per task: a synchronous task, an async one, one that reads its AbortSignal and adds and
// removes a listener, one cancelled with Task.cancel() through an onCancel hook, and one that opens
// a nested nursery (with a real-clock timeout) on its task's signal. After a warm-up the heap is
// measured after forced GCs (data spaces; code excluded) at `samples` points. The run fails (exit 1)
// when the heap after the last GC exceeds the one after warm-up by more than the tolerance, or the
// least-squares slope over the samples projects more than that over the run, or anything else did
// not return to baseline: the nursery's live children, the outside signal's listeners, the active
// timers.
//
// Prints `sample ...` lines while running and one `soak-result {json}` line at the end.
import { getEventListeners } from "node:events";
import { getHeapSpaceStatistics } from "node:v8";
import { parseArgs } from "node:util";
import { CancelledError, nursery, onCancel, openNursery } from "@nursery/core";

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "1000000" },
    samples: { type: "string", default: "20" },
    "tolerance-kib": { type: "string", default: "2048" },
    "retain-every": { type: "string", default: "0" },
  },
});
const cycles = Number(values.cycles);
const samples = Number(values.samples);
const toleranceBytes = Number(values["tolerance-kib"]) * 1024;
const retainEvery = Number(values["retain-every"]);
const retained = [];
if (!Number.isSafeInteger(cycles) || cycles < 1000 || !Number.isSafeInteger(samples) || samples < 2 || !(toleranceBytes > 0)) {
  console.error("usage: node --expose-gc soak.mjs [--cycles N>=1000] [--samples K>=2] [--tolerance-kib KiB]");
  process.exit(2);
}
if (typeof globalThis.gc !== "function") {
  console.error("soak.mjs needs a forced GC: run it with node --expose-gc");
  process.exit(2);
}

// Heap in use after forced GCs, without the code spaces: compiled code comes and goes with the JIT's
// tiering (+-200 KB between samples on Node 20) and is not where a per-task leak would be.
function heapAfterGC() {
  // Twice: the first pass can leave weakly held entries (WeakMap ephemerons) for the second.
  globalThis.gc();
  globalThis.gc();
  let used = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (!space.space_name.startsWith("code_")) used += space.space_used_size;
  }
  return used;
}

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
const noop = () => {};

async function cycle(n, i) {
  if (retainEvery > 0 && i % retainEvery === 0) retained.push({ cycle: i });
  switch (i % 5) {
    case 0:
      await n.spawn(() => i);
      return;
    case 1:
      await n.spawn(async () => {
        await null;
        return i;
      });
      return;
    case 2:
      await n.spawn(async (task) => {
        const signal = task.signal;
        signal.addEventListener("abort", noop);
        await null;
        signal.removeEventListener("abort", noop);
      });
      return;
    case 3: {
      const task = n.spawn((t) => new Promise((_, reject) => onCancel(t, reject)));
      task.cancel("soak");
      try {
        await task;
        throw new Error("a cancelled task resolved");
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
      }
      return;
    }
    case 4:
      await n.spawn((task) =>
        nursery(
          async (inner) => {
            inner.spawn(() => 1);
            return inner.spawn(async () => 2);
          },
          { signal: task.signal, timeout: 60_000, name: "inner" },
        ),
      );
      return;
  }
}

const outside = new AbortController();
const baseTimers = timers();
const n = openNursery({ signal: outside.signal, name: "soak" });
const warmup = Math.min(20_000, Math.floor(cycles / 5));
const started = performance.now();
let i = 0;
for (; i < warmup; i++) await cycle(n, i);
const base = heapAfterGC();
const points = [{ cycle: i, heap: base }];
console.log(`sample cycle=${i} heapUsed=${base}`);
const step = Math.floor((cycles - warmup) / samples);
for (let s = 1; s <= samples; s++) {
  const end = s === samples ? cycles : warmup + s * step;
  for (; i < end; i++) await cycle(n, i);
  const heap = heapAfterGC();
  points.push({ cycle: i, heap });
  console.log(`sample cycle=${i} heapUsed=${heap} delta=${heap - base}`);
}
const seconds = (performance.now() - started) / 1000;

// Least-squares slope of heap over cycles, in bytes per cycle.
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const mx = mean(points.map((p) => p.cycle));
const my = mean(points.map((p) => p.heap));
const slope =
  points.reduce((a, p) => a + (p.cycle - mx) * (p.heap - my), 0) / points.reduce((a, p) => a + (p.cycle - mx) ** 2, 0);
const last = points[points.length - 1].heap;
const result = {
  cycles,
  seconds: Number(seconds.toFixed(2)),
  cyclesPerSecond: Math.round(cycles / seconds),
  heapAfterWarmup: base,
  heapAtEnd: last,
  growthBytes: last - base,
  maxGrowthBytes: Math.max(...points.map((p) => p.heap)) - base,
  slopeBytesPerCycle: Number(slope.toFixed(4)),
  projectedGrowthBytes: Math.round(slope * (cycles - warmup)),
  toleranceBytes,
  liveChildren: n.children.length,
  outsideListeners: getEventListeners(outside.signal, "abort").length,
  extraTimers: timers() - baseTimers,
  failures: [],
};
if (result.growthBytes > toleranceBytes) result.failures.push(`heap grew ${result.growthBytes} B > ${toleranceBytes} B`);
if (result.projectedGrowthBytes > toleranceBytes) result.failures.push(`heap slope projects ${result.projectedGrowthBytes} B > ${toleranceBytes} B`);
if (result.liveChildren !== 0) result.failures.push(`${result.liveChildren} children still live`);
if (result.outsideListeners !== 1) result.failures.push(`outside signal has ${result.outsideListeners} listeners, expected 1`);
if (result.extraTimers !== 0) result.failures.push(`${result.extraTimers} timers left active`);
await n[Symbol.asyncDispose]();
console.log(`soak-result ${JSON.stringify(result)}`);
process.exitCode = result.failures.length === 0 ? 0 : 1;
