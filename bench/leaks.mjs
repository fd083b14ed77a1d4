// Cost of core's leak-warning debug mode (enableLeakWarnings): spawn + join of N tasks in fresh
// processes, each task either suspending once ("await") or also creating and clearing a timer
// ("timer"), plain vs with leak warnings on. Prints median [min - max] and the ratio. Run
// `npx tsc -b` first.
//   node bench/leaks.mjs [--runs 5] [--n 100000]
import { fileURLToPath } from "node:url";
import { numberOption, runVariants } from "./lib/variants.mjs";

const runs = numberOption("--runs", 5);
const n = numberOption("--n", 100_000);

if (process.env.NURSERY_LEAKS_CHILD) {
  const [mode, work] = process.env.NURSERY_LEAKS_CHILD.split(":");
  const { nursery } = await import("@nursery/core");
  if (mode === "warnings") {
    const { enableLeakWarnings } = await import("../packages/core/dist/leak-warnings.js");
    enableLeakWarnings({ write: (line) => { throw new Error(`unexpected warning: ${line}`); } });
  }
  const task =
    work === "timer"
      ? async () => {
          const t = setTimeout(() => undefined, 60_000);
          await null;
          clearTimeout(t);
        }
      : async () => {
          await null;
        };
  const once = async () => {
    const start = performance.now();
    await nursery(async (nu) => {
      for (let i = 0; i < n; i++) nu.spawn(task);
    });
    // The checks run one macrotask after each task settled: count them in.
    await new Promise((resolve) => setImmediate(resolve));
    return performance.now() - start;
  };
  await once(); // warm-up
  process.stdout.write(`${JSON.stringify({ ms: await once() })}\n`);
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
runVariants({
  script: self,
  envName: "NURSERY_LEAKS_CHILD",
  variants: ["plain:await", "warnings:await", "plain:timer", "warnings:timer"],
  runs,
  n,
  label: "spawn + join",
  baselineOf: (v) => `plain:${v.split(":")[1]}`,
});
