// The work both versions run: a job that takes JOB_MS and rolls back its partial work when it is
// cancelled. It knows nothing of p-limit or nurseries: it takes an AbortSignal, like fetch does.
import { setTimeout as delay } from "node:timers/promises";

export const JOBS = Number(process.env.JOBS ?? 20);
export const JOB_MS = Number(process.env.JOB_MS ?? 2_000);
export const CONCURRENCY = Number(process.env.CONCURRENCY ?? 3);

/** Runs job `id`; on cancellation rolls back, then rejects with the cancellation. */
export async function runJob(id, signal) {
  console.log(`job ${id}: started`);
  try {
    await delay(JOB_MS, undefined, { signal }); // the work; rejects with an AbortError when cancelled
    console.log(`job ${id}: done`);
    return id;
  } catch (err) {
    if (!signal.aborted) throw err;
    await delay(50); // undo the partial work; not cancellable, it must finish
    console.log(`job ${id}: rolled back`);
    throw err;
  }
}
