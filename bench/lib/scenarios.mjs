// What each scenario measures, at which size, and how its figures are shown. The measuring code
// itself runs in a child process (lib/measure.mjs); this module is shared by both sides.

/** The implementations, in table order. Each is a module in bench/impl/. */
export const IMPLS = ["nursery", "effection", "effect", "floor"];

const int = (x) => x.toLocaleString("en-US");

/**
 * `variants` are extra rows run with `params.variant` set (an implementation's other mode).
 * Metric fields: `key` in the child's result, `label` and `unit` for the table, `better` says which
 * direction wins, `ratio` whether the table prints value / nursery's value.
 */
export const SCENARIOS = [
  {
    id: "1",
    title: (p) => `spawn + join ${int(p.n)} tasks that each suspend once`,
    params: { full: { n: 100_000 }, quick: { n: 2_000 } },
    metrics: [
      { key: "ms", label: "time", unit: "ms", better: "lower", ratio: true },
      { key: "opsPerSec", label: "throughput", unit: "tasks/s", better: "higher" },
    ],
  },
  {
    id: "2",
    title: (p) => `cancel ${int(p.n)} sleeping tasks that each have a finally`,
    params: { full: { n: 100_000 }, quick: { n: 2_000 } },
    // Extra rows: each library's other cancellation order, so reverse can be compared with LIFO.
    variants: [
      { row: "nursery (concurrent)", impl: "nursery", variant: "concurrent" },
      { row: "effect (Scope, LIFO)", impl: "effect", variant: "lifo" },
    ],
    metrics: [
      { key: "cancelMs", label: "cancel -> all cleanup", unit: "ms", better: "lower", ratio: true },
      { key: "setupMs", label: "setup", unit: "ms", better: "lower", ratio: true },
    ],
  },
  {
    id: "3a",
    title: (p) => `heap per idle suspended task (${int(p.n)} tasks awaiting a pending promise)`,
    params: { full: { n: 100_000, mode: "idle" }, quick: { n: 5_000, mode: "idle" } },
    metrics: [{ key: "bytesPerTask", label: "heap / task", unit: "B", better: "lower", ratio: true }],
  },
  {
    id: "3b",
    title: (p) => `heap per sleeping task (${int(p.n)} tasks in sleep(1 h) with a finally)`,
    params: { full: { n: 100_000, mode: "sleeping" }, quick: { n: 5_000, mode: "sleeping" } },
    metrics: [{ key: "bytesPerTask", label: "heap / task", unit: "B", better: "lower", ratio: true }],
  },
  {
    id: "4",
    title: (p) => `${int(p.m)} sequential spawn + join in one long-lived scope (after ${int(p.warm)} warm-up)`,
    params: { full: { m: 1_000_000, warm: 100_000 }, quick: { m: 20_000, warm: 2_000 } },
    metrics: [
      { key: "opsPerSec", label: "throughput", unit: "ops/s", better: "higher", ratio: true },
      { key: "heapBeforeMB", label: "heap before", unit: "MB", better: "lower" },
      { key: "heapAfterMB", label: "heap after", unit: "MB", better: "lower" },
      { key: "bytesPerIter", label: "growth / iteration", unit: "B", better: "lower" },
    ],
  },
  {
    id: "5",
    title: (p) =>
      `reverse-order cancellation of a 3-level tree ${p.shape.join(" x ")} ` +
      `(${int(p.shape[0] * p.shape[1] * p.shape[2])} sleeping leaves)`,
    params: { full: { shape: [10, 10, 100] }, quick: { shape: [3, 3, 10] } },
    metrics: [
      { key: "cancelMs", label: "cancel -> all cleanup", unit: "ms", better: "lower", ratio: true },
      { key: "setupMs", label: "setup", unit: "ms", better: "lower", ratio: true },
      { key: "orderOk", label: "reverse order held", unit: "", better: "higher", boolean: true },
    ],
  },
  {
    id: "6",
    kind: "bundle",
    title: () => "bundle size, esbuild --bundle --minify --format=esm, gzip -9",
    params: { full: {}, quick: {} },
    metrics: [
      { key: "gzBytes", label: "min+gz", unit: "B", better: "lower", ratio: true },
      { key: "minBytes", label: "min", unit: "B", better: "lower" },
    ],
  },
];

/** Scenarios whose id starts with one of the selectors ("3" selects 3a and 3b). */
export function selectScenarios(selectors) {
  if (selectors.length === 0) return SCENARIOS;
  return SCENARIOS.filter((s) => selectors.some((sel) => s.id === sel || s.id.startsWith(sel)));
}
