// What one idle task is made of: takes a V8 heap snapshot before and after spawning N tasks that
// each await a promise that never settles (scenario 3a's task), and prints the objects that grew,
// per task, largest first. It is the memory profile behind scenario 3a; the decision page
// docs/design/decisions/bench-task-memory.md reads it.
//
//   npm run build && node --expose-gc bench/heap-breakdown.mjs [N]      (N defaults to 20,000)

import { readFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import { nursery } from "@nursery/core";

const n = Number(process.argv[2] ?? 20_000);
if (!Number.isInteger(n) || n < 1000) throw new TypeError(`Expected \`N\` to be an integer >= 1000, got \`${process.argv[2]}\``);
if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc");

const dir = mkdtempSync(join(tmpdir(), "nursery-heap-"));
const pending = new Promise(() => {});
const idle = async () => {
  await pending;
};

/** Live objects grouped by V8's type and constructor name: count and bytes. */
function census() {
  globalThis.gc();
  globalThis.gc();
  const file = v8.writeHeapSnapshot(join(dir, "heap.heapsnapshot"));
  const snapshot = JSON.parse(readFileSync(file, "utf8"));
  rmSync(file);
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
  const [type, name, size] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const groups = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const key = `${types[snapshot.nodes[i + type]]} ${snapshot.strings[snapshot.nodes[i + name]].slice(0, 40)}`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += snapshot.nodes[i + size];
    groups.set(key, group);
  }
  return groups;
}

// The tasks never finish, so neither does this nursery: the process ends when the report is out.
let scope;
void nursery(async (s) => {
  scope = s;
  await pending;
});
const before = census();
for (let i = 0; i < n; i++) scope.spawn(idle);
const after = census();
rmSync(dir, { recursive: true, force: true });

const rows = [];
for (const [key, { count, bytes }] of after) {
  const was = before.get(key) ?? { count: 0, bytes: 0 };
  const perTask = (bytes - was.bytes) / n;
  // Objects that grew by about one per task or more; the rest is the snapshot's own noise.
  if ((count - was.count) / n >= 0.9 && perTask >= 8) rows.push({ key, count: (count - was.count) / n, perTask });
}
rows.sort((a, b) => b.perTask - a.perTask);
console.log(`heap per idle task, ${n.toLocaleString("en-US")} tasks, node ${process.version}`);
console.log("objects per task  bytes per task  V8 type and name");
for (const row of rows) {
  console.log(`${row.count.toFixed(2).padStart(16)}  ${row.perTask.toFixed(0).padStart(14)}  ${row.key}`);
}
console.log(`${"total".padStart(16)}  ${rows.reduce((sum, r) => sum + r.perTask, 0).toFixed(0).padStart(14)}`);
