// Entry of one conformance run: `<runtime> conformance/main.mjs <test file>...` (Deno: `deno run -A`).
// Imports the files, runs what they registered, prints the results and exits 0 only if all passed.
// Files under native/ use syntax older runtimes cannot parse: they are imported only where
// expected.mjs says the runtime has it (features.test.mjs asserts the others really lack it).
import process from "node:process";
import { pathToFileURL } from "node:url";
import { resolve, sep } from "node:path";
import { runRegistered } from "./harness.mjs";
import { nativeUsing } from "./expected.mjs";
import { runtime } from "./runtime.mjs";

for (const file of process.argv.slice(2)) {
  const path = resolve(file);
  if (path.includes(`${sep}native${sep}`) && !nativeUsing) {
    console.log(`# not loaded: ${file} (${runtime.name} ${runtime.version} has no native using)`);
    continue;
  }
  await import(pathToFileURL(path).href);
}
const counts = await runRegistered();
console.log(`# ${JSON.stringify(counts)}`);
// Exit explicitly: every test cleans up what it started (servers, children), but a runtime that
// keeps an idle handle open must not turn a finished run into a hang.
process.exit(counts.failed === 0 ? 0 : 1);
