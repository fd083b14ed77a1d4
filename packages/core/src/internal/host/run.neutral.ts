// Runtimes without process signals (browsers, workerd): run() is exported with the same type, so
// code shared between a server and a page type-checks and bundles, and calling it throws at once,
// saying why and what to use instead (docs/design/decisions/core-platform-neutral.md).
import type { run as nodeRun } from "../../run/run.js";
import { unsupportedRuntime } from "./unsupported.js";

export type { RunOptions } from "../../run/run.js";

export const run: typeof nodeRun = () => {
  throw unsupportedRuntime(
    "run()",
    "process signals and an exit code (Node, Bun, Deno)",
    "use `nursery(main, { signal })` with the signal that ends your page or request",
  );
};
