// Node, Bun and Deno: the runtime's AsyncLocalStorage, behind currentTask().
export { AsyncLocalStorage } from "node:async_hooks";
