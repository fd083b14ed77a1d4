// Hashes every file of a folder in parallel on worker threads, with a progress line.
//
//   node examples/hash-folder/hash.mjs <folder> [--threads 4] [--passes 1]
//
// Prints "<sha256>  <file>" per file in name order, and a progress line on stderr. Ctrl+C stops
// the running jobs newest-first: each one's `finally` runs in its worker ("stopped ..."), then the
// threads exit and the process exits 130.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { nursery, run } from "@nursery/core";
import { openPool } from "@nursery/workers";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const folder = args[0];
if (folder === undefined || folder.startsWith("--")) {
  console.error("usage: node hash.mjs <folder> [--threads 4] [--passes 1]");
  process.exitCode = 2;
} else {
  await run(async (task) => {
    const files = walk(folder).sort();
    let hashed = 0;
    const progress = (text) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K`);
      else process.stderr.write(`${text}\n`);
    };
    await nursery(
      async (n) => {
        const pool = openPool(n, new URL("./hash-file.mjs", import.meta.url), {
          maxThreads: option("threads", 4),
          minThreads: 1,
          grace: 2000,
        });
        const jobs = files.map((path) => {
          const job = pool.run(n, { path, passes: option("passes", 1) }, { name: `hash ${relative(folder, path)}` });
          job.then(
            () => progress(`hashed ${++hashed}/${files.length} files`),
            () => undefined,
          );
          return job;
        });
        pool.close(); // every job is submitted: the threads go once they are done
        for (const [i, job] of jobs.entries()) console.log(`${await job}  ${relative(folder, files[i])}`);
      },
      { name: "hash-folder", signal: task.signal },
    );
    if (process.stderr.isTTY) process.stderr.write("\n");
  });
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
