// Runs the neutral suite in a process of its own (Node, Bun or Deno, bundled by esbuild so that
// `await using` is down-levelled where the runtime lacks it) and prints the result as one JSON line.
// Usage: <runtime> node-entry.bundle.mjs <loopback origin>
import { runNeutralSuite } from "./neutral-suite.mjs";

const result = await runNeutralSuite({ base: process.argv[2], processEntry: true });
process.stdout.write(`${JSON.stringify(result)}\n`);
