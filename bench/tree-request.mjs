// How long a tree request holds the event loop: treeReport() (what the tree signal and nursery-ps
// answer with) for 1k, 10k and 100k live tasks, each defined by one of 10 functions, median of 5.
// Run `npx tsc -b` first.   node bench/tree-request.mjs
import { nursery } from "@nursery/core";
import { treeReport } from "../packages/core/dist/run/tree-request.js";

const kinds = Array.from({ length: 10 }, (_, k) => ({ [`worker${k}`]: (t) => new Promise((r) => t.signal.addEventListener("abort", r)) })[`worker${k}`]);
console.log(`tree request: treeReport() time, median of 5, node ${process.version}`);
for (const size of [1_000, 10_000, 100_000]) {
  await nursery(async (n) => {
    for (let i = 0; i < size; i++) n.spawn(kinds[i % 10]);
    const times = [];
    for (let r = 0; r < 5; r++) {
      const start = performance.now();
      treeReport(n);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(`${size.toLocaleString("en").padStart(8)} tasks  ${times[2].toFixed(1)} ms`);
    n.cancel();
  });
}
