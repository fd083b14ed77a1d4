// Cancelling N sleeping tasks: @nursery/timers' `sleep` versus `timers/promises` `setTimeout` with a
// signal. Plain node against the BUILT packages: run `npx tsc -b` first, then
//   node packages/timers/bench/cancel-sleeps.mjs [--runs 5] [--n 100000] [--shared-n 10000] [--order concurrent]
// Each measurement runs in a fresh process (so heap state and JIT warm-up do not leak between
// implementations); the figure is the median over --runs processes. Within a process the workload
// runs once at N/10 to warm up, then once measured.
//
// Scenarios (each task: `try { await sleepFn(1 h, signal) } finally { cleanups++ }`):
//   nursery     N tasks spawned in one nursery (cancelOrder from --order, default "concurrent"; with
//               "reverse" the time is mostly core's one-at-a-time teardown), each sleeping on its own
//               task signal; time from `n.cancel()` until the nursery settled (every finally ran).
//   controllers N plain async functions, each with its own AbortController; time from the first
//               `abort()` until every promise settled. The adapter alone, without core.
//   shared      N sleeps on ONE shared signal; setup time and abort time. `timers/promises` adds one
//               listener per sleep (O(N^2) on Node 20: about 130 s at 100k), so this scenario runs at
//               --shared-n (default 10k) for both, plus once for this `sleep` at N.
import { spawnSync } from "node:child_process";
import { getEventListeners, setMaxListeners } from "node:events";
import { fileURLToPath } from "node:url";

const HOUR = 3_600_000;

async function implementation(name) {
  if (name === "nursery-sleep") {
    const { sleep } = await import("@nursery/timers");
    return (signal) => sleep(HOUR, { signal });
  }
  const { setTimeout: sleepTp } = await import("node:timers/promises");
  return (signal) => sleepTp(HOUR, undefined, { signal });
}

async function nurseryScenario(sleepFn, n) {
  const { nursery } = await import("@nursery/core");
  let cleanups = 0;
  let cancelAt = 0;
  let setupMs = 0;
  const started = performance.now();
  await nursery(
    async (nur) => {
      for (let i = 0; i < n; i++) {
        nur.spawn(async (task) => {
          try {
            await sleepFn(task.signal);
          } finally {
            cleanups++;
          }
        });
      }
      // Let every task reach its sleep before cancelling.
      await new Promise((resolve) => setImmediate(resolve));
      setupMs = performance.now() - started;
      cancelAt = performance.now();
      nur.cancel();
    },
    { cancelOrder: process.env.CANCEL_ORDER ?? "concurrent" },
  );
  const cancelMs = performance.now() - cancelAt;
  if (cleanups !== n) throw new Error(`only ${cleanups} of ${n} cleanups ran`);
  return { setupMs, cancelMs };
}

async function controllersScenario(sleepFn, n) {
  let cleanups = 0;
  const controllers = new Array(n);
  const tasks = new Array(n);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const controller = new AbortController();
    controllers[i] = controller;
    tasks[i] = (async () => {
      try {
        await sleepFn(controller.signal);
      } catch {
        // cancelled
      } finally {
        cleanups++;
      }
    })();
  }
  const setupMs = performance.now() - started;
  const cancelAt = performance.now();
  for (const controller of controllers) controller.abort();
  await Promise.all(tasks);
  const cancelMs = performance.now() - cancelAt;
  if (cleanups !== n) throw new Error(`only ${cleanups} of ${n} cleanups ran`);
  return { setupMs, cancelMs };
}

async function sharedScenario(sleepFn, n) {
  let cleanups = 0;
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // timers/promises would warn at 11 listeners
  const tasks = new Array(n);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    tasks[i] = (async () => {
      try {
        await sleepFn(controller.signal);
      } catch {
        // cancelled
      } finally {
        cleanups++;
      }
    })();
  }
  const setupMs = performance.now() - started;
  const listenersWhileSleeping = getEventListeners(controller.signal, "abort").length;
  const cancelAt = performance.now();
  controller.abort();
  await Promise.all(tasks);
  const cancelMs = performance.now() - cancelAt;
  if (cleanups !== n) throw new Error(`only ${cleanups} of ${n} cleanups ran`);
  return { setupMs, cancelMs, listenersWhileSleeping, listenersAfter: getEventListeners(controller.signal, "abort").length };
}

const scenarios = { nursery: nurseryScenario, controllers: controllersScenario, shared: sharedScenario };

// ---- child process: one measurement -------------------------------------------------------------
if (process.argv[2] === "--child") {
  const [, , , scenario, impl, nText] = process.argv;
  const n = Number(nText);
  const sleepFn = await implementation(impl);
  const run = scenarios[scenario];
  await run(sleepFn, Math.max(1, Math.floor(n / 10))); // warm-up
  const result = await run(sleepFn, n);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

// ---- driver --------------------------------------------------------------------------------------
function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const runs = flag("runs", 5);
const N = flag("n", 100_000);
const sharedN = flag("shared-n", 10_000);
const orderAt = process.argv.indexOf("--order");
const order = orderAt === -1 ? "concurrent" : process.argv[orderAt + 1];
const self = fileURLToPath(import.meta.url);

function measure(scenario, impl, n) {
  const results = [];
  for (let r = 0; r < runs; r++) {
    const child = spawnSync(process.execPath, [self, "--child", scenario, impl, String(n)], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
      env: { ...process.env, CANCEL_ORDER: order },
    });
    if (child.status !== 0) throw new Error(`${scenario}/${impl} failed:\n${child.stderr}`);
    results.push(JSON.parse(child.stdout.trim().split("\n").pop()));
  }
  const median = (key) => {
    const sorted = results.map((x) => x[key]).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  return { setupMs: median("setupMs"), cancelMs: median("cancelMs"), extra: results[0] };
}

const fmt = (ms) => `${ms.toFixed(1).padStart(9)} ms`;
const rows = [];
function compare(scenario, n) {
  const ours = measure(scenario, "nursery-sleep", n);
  const theirs = measure(scenario, "timers-promises", n);
  rows.push({ scenario, n, ours, theirs });
  console.log(
    `${scenario.padEnd(12)} n=${String(n).padEnd(7)} cancel: sleep ${fmt(ours.cancelMs)}  timers/promises ${fmt(theirs.cancelMs)}  ratio ${(theirs.cancelMs / ours.cancelMs).toFixed(2)}x` +
      ` | setup: sleep ${fmt(ours.setupMs)}  timers/promises ${fmt(theirs.setupMs)}  ratio ${(theirs.setupMs / ours.setupMs).toFixed(2)}x`,
  );
}

console.log(
  `node ${process.version}, median of ${runs} fresh processes, cancelOrder "${order}"; ratio = timers/promises time / sleep time (higher = sleep faster)`,
);
compare("nursery", N);
compare("controllers", N);
compare("shared", sharedN);
const big = measure("shared", "nursery-sleep", N);
console.log(
  `shared       n=${String(N).padEnd(7)} cancel: sleep ${fmt(big.cancelMs)}  setup: sleep ${fmt(big.setupMs)}  (abort listeners while sleeping: ${big.extra.listenersWhileSleeping}, after: ${big.extra.listenersAfter}; timers/promises not run at this size: O(N^2) setup)`,
);
