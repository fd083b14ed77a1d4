// Cost of core's leak-warning debug mode (enableLeakWarnings): spawn + join of N tasks in fresh
// processes, each task either suspending once ("await") or also creating and clearing a timer
// ("timer"), plain vs with leak warnings on. Prints median [min - max] and the ratio. Run
// `npx tsc -b` first.
//   node bench/leaks.mjs [--runs 5] [--n 100000]
import { fileURLToPath } from "node:url";
import { numberOption, reportSpawnJoin, runVariants } from "./lib/variants.mjs";

const runs = numberOption("--runs", 5);
const n = numberOption("--n", 100_000);

if (process.env.NURSERY_LEAKS_CHILD) {
  const [mode, work] = process.env.NURSERY_LEAKS_CHILD.split(":");
  if (mode === "warnings") {
    const { enableLeakWarnings } = await import("@nursery/core/debug");
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
  // The checks run one macrotask after each task settled: count them in.
  await reportSpawnJoin(n, task, { settleTurn: true });
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
