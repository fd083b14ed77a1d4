// Node, Bun and Deno: the leak-warning debug mode (async_hooks, node:events).
export { enableLeakWarnings, type LeakWarningOptions } from "../../leak-warnings.js";
