// The second Ctrl+C while cleanup blocks the event loop: how soon into the block does a second
// SIGINT still force the exit? (issue 16, item 12; run/run.ts's header quotes the result.)
//
// For each delay N, a fresh child program runs under run(); the parent sends SIGINT; the child's
// cleanup prints its start time and blocks the loop synchronously for 3 s, and N ms into the block
// sends itself the second SIGINT (from inside the block, so N is exact). "forced": the child was
// gone, by SIGINT or with 130, within 2 s of the block's start. A lost signal shows as the child
// finishing its 3 s block and exiting on its own.
//
// Usage: node bench/blocked-signal.mjs [--runs 3] [--core <path to core's dist/index.js>]
//   --core lets the same script measure another build (e.g. main's) for a before/after table.
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const DELAYS = [20, 30, 40, 50, 60, 80, 100, 200, 500, 1000];
const BLOCK_MS = 3000;
const WITHIN_MS = 2000;

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};

if (args[0] === "--child") {
  const [, corePath, delay] = args;
  const { run } = await import(pathToFileURL(corePath).href);
  await run(async (task) => {
    process.stdout.write("ready\n");
    await new Promise((resolve) => task.signal.addEventListener("abort", resolve, { once: true }));
    const start = Date.now();
    process.stdout.write(`block ${start}\n`);
    let sent = false;
    while (Date.now() - start < BLOCK_MS) {
      if (!sent && Date.now() - start >= Number(delay)) {
        sent = true;
        process.kill(process.pid, "SIGINT");
      }
    }
    process.stdout.write("block ended\n");
  });
} else {
  const runs = Number(option("--runs", "3"));
  const core = option("--core", fileURLToPath(new URL("../packages/core/dist/index.js", import.meta.url)));
  const self = fileURLToPath(import.meta.url);
  const once = (delay) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [self, "--child", core, String(delay)], { stdio: ["ignore", "pipe", "ignore"] });
      let out = "";
      let blockStart;
      let sentFirst = false;
      child.stdout.setEncoding("utf8").on("data", (chunk) => {
        out += chunk;
        const m = /block (\d+)/.exec(out);
        if (m && blockStart === undefined) blockStart = Number(m[1]);
        if (out.startsWith("ready\n") && !sentFirst) {
          sentFirst = true;
          child.kill("SIGINT");
        }
      });
      child.on("close", (code, signal) => {
        const after = blockStart === undefined ? NaN : Date.now() - blockStart;
        const forced = (signal === "SIGINT" || code === 130) && !out.includes("block ended") && after < WITHIN_MS;
        resolve({ forced, after, code, signal });
      });
    });
  console.log(`core: ${core}\nsecond SIGINT N ms into a ${BLOCK_MS} ms synchronous block; forced = gone within ${WITHIN_MS} ms of the block's start`);
  console.log("N (ms)  forced/runs  exit after block start (ms)");
  for (const delay of DELAYS) {
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await once(delay));
    const forced = results.filter((r) => r.forced).length;
    const times = results.map((r) => (Number.isNaN(r.after) ? "?" : String(r.after))).join(", ");
    console.log(`${String(delay).padStart(6)}  ${`${forced}/${runs}`.padStart(11)}  ${times}`);
  }
}
