// @nursery/core: the table of contents.
export { nursery, openNursery, type Nursery, type NurseryOptions, type StartOptions } from "./nursery.js";
export type { Task, TaskContext, StartContext, TaskState, NotOwnContext } from "./task.js";
export type { ScopeContext } from "./scope-context.js";
export { moveOnAfter, failAfter, shield, checkpoint, type ScopeOptions, type ParentScopeOptions } from "./cancel-scope.js";
export {
  CancelledError,
  TimeoutError,
  NurseryError,
  NurseryClosedError,
  StartError,
  ShutdownTimeoutError,
  isCancellation,
  type CancelReason,
  type CancelSource,
  type Straggler,
} from "./errors.js";
export { realClock, type Clock, type TimerHandle } from "./clock.js";
// Node, Bun, Deno: the process entry; elsewhere the same signature, throwing (package.json `imports`).
export { run, type RunOptions } from "#core-host/run";
export { onProcessExit, type ExitHook } from "./exit-hooks.js";
export { dumpTree, type TreeOptions } from "./tree.js";
export { onCancel, cancelReasonOf, type Cancellable } from "./on-cancel.js";
export { isAbortSignal } from "./is-abort-signal.js";
export { channels, type DiagnosticsChannel, type SpawnEvent, type CancelEvent, type SettleEvent, type OpenEvent, type CloseEvent } from "./diagnostics.js";
export { enableLeakWarnings, type LeakWarningOptions } from "#core-host/leak-warnings";
export { currentTask, enableCurrentTask } from "./current-task.js";
export { invalidArgument, describeValue } from "./invalid-argument.js";
