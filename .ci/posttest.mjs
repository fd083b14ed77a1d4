// After `npm test` (jest on this machine's Node): the conformance suite on this Node, and on Bun and
// Deno when .cache/runtimes has them, then one line saying what `npm test` did not run and why.
// With NURSERY_RESULTS=<dir> (set by .ci/run) the conformance results are written there, and a
// runtime missing from the cache is a failure, not a note.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { installed, root, runtimes } from "./runtimes.mjs";

const ci = process.env.NURSERY_RESULTS !== undefined;
const args = [join(root, "conformance", "run.mjs")];
if (ci) args.push("--require", "--results", join(process.env.NURSERY_RESULTS, "conformance-node.json"));
const { status } = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });

const present = ["bun", "deno"].filter((name) => installed(name) !== undefined).map((name) => runtimes[name].label);
const missing = ["bun", "deno"].filter((name) => installed(name) === undefined).map((name) => runtimes[name].label);
if (!ci) {
  const ran = [`Node ${process.versions.node}`, ...present].join(", ");
  const notRun = [
    ...(missing.length > 0 ? [`the conformance suite on ${missing.join(" and ")} (not installed)`] : []),
    "jest and the conformance suite on Node 22, 24 and 26 (`npm run test:matrix`)",
  ];
  console.log(
    `npm test ran jest on Node ${process.versions.node} and the conformance suite on ${ran}; not run: ` +
      `${notRun.join("; ")}. \`npm run runtimes\` installs those runtimes into .cache/runtimes; .ci/run runs everything.`,
  );
}
process.exitCode = status ?? 1;
