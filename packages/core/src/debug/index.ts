// @nursery/core/debug: opt-in diagnostics, for development, tests and tracing. Nothing here is
// needed to open nurseries or spawn tasks, and each costs something when turned on, so the main
// entry does not carry it: a program that never imports this subpath does not bundle it.
// Platform-neutral like the main entry: where the runtime lacks what a tool needs (async_hooks,
// AsyncLocalStorage), turning the tool on throws ERR_UNSUPPORTED_RUNTIME.
export { dumpTree, type TreeOptions } from "../tree.js";
export { enableCurrentTask } from "../current-task.js";
export { enableLeakWarnings, type LeakWarningOptions } from "#core-host/leak-warnings";
