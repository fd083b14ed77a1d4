// @nursery/core: the table of contents. Opt-in diagnostics (dumpTree, enableCurrentTask,
// enableLeakWarnings) are in @nursery/core/debug, exit hooks for adapters in @nursery/core/adapter:
// a program that does not use them does not bundle them.
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
export { onCancel, cancelReasonOf, type Cancellable } from "./on-cancel.js";
export { isAbortSignal } from "./is-abort-signal.js";
export { channels, type DiagnosticsChannel, type SpawnEvent, type CancelEvent, type SettleEvent, type OpenEvent, type CloseEvent } from "./diagnostics.js";
export { currentTask } from "./current-task.js";
export { invalidArgument, describeValue } from "./invalid-argument.js";
