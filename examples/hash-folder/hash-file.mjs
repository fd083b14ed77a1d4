// The worker module of hash.mjs: hashes one file on a worker thread, and stops at the next chunk
// once its task is cancelled. `passes` feeds the file into the hash that many times: a stand-in
// for heavier work (key derivation, compression) so a run lasts long enough to press Ctrl+C.
import { createHash } from "node:crypto";
import { readFileSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { defineJob } from "@nursery/workers/worker";

const CHUNK = 1 << 16;
// Straight to stderr (fd 2) from this thread: the line is out before the job reports back.
const say = (line) => writeSync(2, `${line}\n`);

export default defineJob(({ path, passes }, job) => {
  const name = basename(path);
  const data = readFileSync(path);
  const hash = createHash("sha256");
  say(`worker: hashing ${name}`);
  try {
    for (let pass = 0; pass < passes; pass++) {
      for (let at = 0; at < data.length; at += CHUNK) {
        job.checkpoint(); // throws once the caller's task is cancelled
        hash.update(data.subarray(at, at + CHUNK));
      }
      if (data.length === 0) job.checkpoint();
    }
    return hash.digest("hex");
  } finally {
    if (job.signal.aborted) say(`worker: stopped ${name}, cleanup ran`);
  }
});
