// Runtimes without async_hooks (browsers, workerd): the debug mode cannot attribute timers and
// listeners to tasks there, so asking for it throws at once, saying why.
import type { enableLeakWarnings as nodeEnable } from "../../leak-warnings.js";
import { unsupportedRuntime } from "./unsupported.js";

export type { LeakWarningOptions } from "../../leak-warnings.js";

export const enableLeakWarnings: typeof nodeEnable = () => {
  throw unsupportedRuntime("enableLeakWarnings()", "async_hooks (Node, Bun, Deno)", "run the program under Node to look for leaks");
};
