// AFTER: the same program with a nursery. run() owns the signals, the exit code, the second
// Ctrl+C and the shutdown deadline; the nursery owns the jobs, so it cannot finish before they do.
import { nursery, run } from "@nursery/core";
import { CONCURRENCY, JOBS, runJob } from "./job.mjs";

await run(async (main) => {
  const ids = Array.from({ length: JOBS }, (_, i) => i + 1);
  const done = [];
  try {
    await nursery(
      async (n) => {
        const queue = ids.values(); // shared by the workers: each id is taken once
        for (let w = 1; w <= CONCURRENCY; w++) {
          n.spawn(
            async (task) => {
              for (const id of queue) done.push(await runJob(id, task.signal));
            },
            { name: `worker-${w}` },
          );
        }
      },
      // The jobs are independent: roll them back all at once rather than newest first.
      { name: "jobs", signal: main.signal, cancelOrder: "concurrent" },
    );
  } finally {
    console.log(`${done.length} jobs done`);
  }
});
