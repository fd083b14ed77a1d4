// Entry of one conformance run: `<runtime> conformance/main.mjs <test file>...` (Deno: `deno run -A`).
// Imports the files, runs what they registered, prints the results and exits 0 only if all passed.
import process from "node:process";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { runRegistered } from "./harness.mjs";

for (const file of process.argv.slice(2)) await import(pathToFileURL(resolve(file)).href);
const counts = await runRegistered();
console.log(`# ${JSON.stringify(counts)}`);
// Exit explicitly: every test cleans up what it started (servers, children), but a runtime that
// keeps an idle handle open must not turn a finished run into a hang.
process.exit(counts.failed === 0 ? 0 : 1);
