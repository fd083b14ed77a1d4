// The measuring side of each scenario, run inside a fresh `node --expose-gc` child process.
// Every function takes an implementation module (bench/impl/*.mjs) and the scenario's params and
// returns a flat object of numbers. Each also checks the work really happened (every task joined,
// every cleanup ran, the cancellation order held), and throws otherwise: a fast wrong answer is
// not a result.

import { performance } from "node:perf_hooks";
import { setImmediate as tick } from "node:timers/promises";

const now = () => performance.now();

if (typeof globalThis.gc !== "function") {
  throw new Error("bench children must run with node --expose-gc");
}

/** Two full collections, with a macrotask between them so pending finalization work can run. */
async function collect() {
  globalThis.gc();
  await tick();
  globalThis.gc();
}

/** Polls `predicate` once per macrotask; fails after `limitMs` so a hung implementation is reported, not waited on forever. */
async function waitFor(predicate, what, limitMs = 600_000) {
  const start = now();
  while (!predicate()) {
    if (now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

// 1. spawn + join n tasks that each suspend once. The workload runs once to warm up, then is timed.
async function spawnJoin(impl, { n }) {
  const warm = { done: 0 };
  await impl.spawnJoin(n, warm);
  expectEqual(warm.done, n, "tasks joined (warm-up)");
  await collect();
  const state = { done: 0 };
  const start = now();
  await impl.spawnJoin(n, state);
  const ms = now() - start;
  expectEqual(state.done, n, "tasks joined");
  return { ms, opsPerSec: (n / ms) * 1000 };
}

// Opens n sleepers and cancels them; used for warm-up by scenarios 2 and 3.
async function sleepersOnce(impl, n, variant) {
  const state = { started: 0, cleaned: 0 };
  const handle = await impl.openSleepers(n, state, variant);
  await waitFor(() => state.started === n, "sleepers to start");
  await handle.cancel();
  expectEqual(state.cleaned, n, "cleanups (warm-up)");
}

// 2. cancel n sleeping tasks with a finally. setup = until every task reached its sleep;
// cancel = from the cancel call until every finally ran and the scope settled.
// `variant` selects an implementation's other cancellation order (see SCENARIOS[1].variants).
async function cancelSleeping(impl, { n, variant }) {
  await sleepersOnce(impl, Math.max(1, Math.floor(n / 10)), variant);
  await collect();
  const state = { started: 0, cleaned: 0 };
  const t0 = now();
  const handle = await impl.openSleepers(n, state, variant);
  await waitFor(() => state.started === n, "sleepers to start");
  const setupMs = now() - t0;
  const t1 = now();
  await handle.cancel();
  const cancelMs = now() - t1;
  expectEqual(state.cleaned, n, "cleanups run");
  return { cancelMs, setupMs };
}

// 3. heap bytes per suspended task: heapUsed after forced GC, with n tasks suspended, minus before, / n.
async function heapPerTask(impl, { n, mode }) {
  await sleepersOnce(impl, Math.max(1, Math.floor(n / 10)));
  const state = { started: 0, cleaned: 0 };
  await collect();
  const before = process.memoryUsage().heapUsed;
  const handle = await (mode === "idle" ? impl.openIdle(n, state) : impl.openSleepers(n, state));
  await waitFor(() => state.started === n, "tasks to suspend");
  await collect();
  const after = process.memoryUsage().heapUsed;
  globalThis.benchKeepAlive = handle; // the tasks stay reachable until the process exits
  return { bytesPerTask: (after - before) / n, heapBeforeMB: before / 2 ** 20, heapAfterMB: after / 2 ** 20 };
}

// 4. m sequential spawn+join in one long-lived scope; heap is read at "before" (after `warm`
// iterations in the same scope) and "after", each after forced GC; the timed span is between them.
async function sequential(impl, { m, warm }) {
  const heap = {};
  const marks = {};
  const measure = async (label) => {
    if (label === "after") marks.end = now();
    await collect();
    heap[label] = process.memoryUsage().heapUsed;
    if (label === "before") marks.start = now();
  };
  const joined = await impl.sequential({ m, warm }, measure);
  expectEqual(joined, m + warm, "sequential joins");
  if (heap.before === undefined || heap.after === undefined) throw new Error("measure() was not called twice");
  const ms = marks.end - marks.start;
  return {
    opsPerSec: (m / ms) * 1000,
    ms,
    heapBeforeMB: heap.before / 2 ** 20,
    heapAfterMB: heap.after / 2 ** 20,
    bytesPerIter: (heap.after - heap.before) / m,
  };
}

/** The cleanup order a reverse-order cancellation must produce: depth first, newest first, each node after its children. */
export function expectedTreeOrder([a, b, c]) {
  const order = [];
  for (let i = a - 1; i >= 0; i--) {
    for (let j = b - 1; j >= 0; j--) {
      for (let k = c - 1; k >= 0; k--) order.push(`${i}.${j}.${k}`);
      order.push(`${i}.${j}`);
    }
    order.push(`${i}`);
  }
  return order;
}

async function treeOnce(impl, shape) {
  const leaves = shape[0] * shape[1] * shape[2];
  const log = [];
  const state = { started: 0 };
  const t0 = now();
  const handle = await impl.openTree(shape, log, state);
  await waitFor(() => state.started === leaves, "leaves to start");
  const setupMs = now() - t0;
  const t1 = now();
  await handle.cancel();
  const cancelMs = now() - t1;
  const expected = expectedTreeOrder(shape);
  expectEqual(log.length, expected.length, "tree cleanups run");
  const firstMismatch = expected.findIndex((id, index) => log[index] !== id);
  return { setupMs, cancelMs, orderOk: firstMismatch === -1 ? 1 : 0, firstMismatch, sample: log.slice(0, 6).join(" ") };
}

// 5. reverse-order cancellation of a 3-level tree; the order is checked against expectedTreeOrder.
async function reverseTree(impl, { shape }) {
  await treeOnce(impl, [2, 2, Math.max(1, Math.floor(shape[2] / 10))]);
  await collect();
  return treeOnce(impl, shape);
}

export const MEASURES = {
  1: spawnJoin,
  2: cancelSleeping,
  "3a": heapPerTask,
  "3b": heapPerTask,
  4: sequential,
  5: reverseTree,
};
