// BEFORE: the usual graceful-shutdown recipe around p-limit, written by hand.
// Every numbered comment is bookkeeping that after.mjs does not need.
import pLimit from "p-limit";
import { CONCURRENCY, JOBS, runJob } from "./job.mjs";

const limit = pLimit(CONCURRENCY);
const controller = new AbortController(); // (1) one signal for every job, passed by hand
const running = new Set(); // (2) clearQueue() leaves queued promises pending forever, so track started jobs ourselves
let received;

const onSignal = (sig) => {
  if (received !== undefined) process.exit(128 + (sig === "SIGINT" ? 2 : 15)); // (3) second Ctrl+C forces
  received = sig;
  console.error(`received ${sig}, shutting down`);
  limit.clearQueue(); // (4) jobs not started yet must not start
  controller.abort(); // (5) jobs running now must stop
  setTimeout(() => {
    console.error("shutdown took too long"); // (6) a hung cleanup must not hang the process
    process.exit(1);
  }, 10_000).unref();
};
process.on("SIGINT", onSignal); // (7) install, and (8) remember to remove, the handlers
process.on("SIGTERM", onSignal);

const jobs = Array.from({ length: JOBS }, (_, i) =>
  limit(async () => {
    const job = runJob(i + 1, controller.signal);
    running.add(job);
    try {
      return await job;
    } finally {
      running.delete(job);
    }
  }),
);

// (9) Promise.allSettled(jobs) never settles once clearQueue() ran: race it against the abort,
// then wait for the jobs that had started, so their rollback finishes before we exit.
const aborted = new Promise((resolve) => controller.signal.addEventListener("abort", () => resolve(undefined), { once: true }));
const outcome = await Promise.race([Promise.allSettled(jobs), aborted]);
if (outcome === undefined) await Promise.allSettled([...running]);
process.removeListener("SIGINT", onSignal);
process.removeListener("SIGTERM", onSignal);

// (10) Tell failures from cancellations (an AbortError is not a failure) and pick the exit code.
const results = outcome ?? [];
const failures = results.filter((r) => r.status === "rejected" && r.reason?.name !== "AbortError");
for (const f of failures) console.error(f.reason);
console.log(`${results.filter((r) => r.status === "fulfilled").length} jobs done`);
process.exitCode = failures.length > 0 ? 1 : received === "SIGINT" ? 130 : received === "SIGTERM" ? 143 : 0;
