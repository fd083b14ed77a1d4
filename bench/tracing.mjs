// Cost of core's optional diagnostics: spawn + join of N tasks that each suspend once, in fresh
// processes, (a) plain, (b) with a subscriber on every nursery:* diagnostics channel, (c) with
// enableCurrentTask() (AsyncLocalStorage). Prints median [min - max] and the ratio against plain.
//   node bench/tracing.mjs [--runs 5] [--n 100000]
import { fileURLToPath } from "node:url";
import { numberOption, reportSpawnJoin, runVariants } from "./lib/variants.mjs";

const runs = numberOption("--runs", 5);
const n = numberOption("--n", 100_000);

if (process.env.NURSERY_TRACING_CHILD) {
  const { channels } = await import("@nursery/core");
  const { enableCurrentTask } = await import("@nursery/core/debug");
  const variant = process.env.NURSERY_TRACING_CHILD;
  if (variant === "subscriber") {
    const noop = () => undefined;
    for (const ch of Object.values(channels)) ch.subscribe(noop);
  }
  if (variant === "currentTask") enableCurrentTask();
  await reportSpawnJoin(n, async () => {
    await null;
  });
}

const self = fileURLToPath(import.meta.url);
runVariants({
  script: self,
  envName: "NURSERY_TRACING_CHILD",
  variants: ["plain", "subscriber", "currentTask"],
  runs,
  n,
  label: "spawn + join",
});
