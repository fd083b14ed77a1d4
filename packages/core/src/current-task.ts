// currentTask(): the running task from anywhere inside it, without passing it down. Opt-in,
// because AsyncLocalStorage on Node 20 is built on async_hooks and costs on every promise. Where
// the runtime has no AsyncLocalStorage (browsers, workerd), enableCurrentTask() throws rather than
// leave a program believing currentTask() works. Turning it on also turns on the warning for a
// nursery opened without a parent inside a task (internal/unlinked.ts), which needs it.
// enableCurrentTask() is exported from @nursery/core/debug and currentTask() from the main entry,
// so that a program that never turns it on does not carry the warning's code.
import { AsyncLocalStorage } from "#core-host/async-local-storage";
import { context } from "./internal/context.js";
import { noticeUnlinked } from "./internal/unlinked.js";
import type { TaskContext } from "./task.js";

/**
 * Turns on {@link currentTask} for tasks spawned from now on. Call it once at start-up: it makes a
 * spawn-heavy workload about 1.7x slower on Node 20 (`node bench/tracing.mjs`), so libraries
 * should not call it. Where the runtime has no `AsyncLocalStorage` (browsers, workerd) it throws an
 * `Error` with code `ERR_UNSUPPORTED_RUNTIME`.
 */
export function enableCurrentTask(): void {
  context.storage ??= new AsyncLocalStorage<TaskContext>();
  // Only with currentTask() on can a nursery tell it was opened inside a running task.
  context.noticeUnlinked = noticeUnlinked;
}

/**
 * The task whose code is running (its context: `signal`, `name`, `nursery`, `clock`), or
 * `undefined` outside any task or when {@link enableCurrentTask} was not called. For code deep in
 * a call stack (a logger, a database wrapper) that wants the task's signal without a parameter.
 *
 * @example
 * ```ts
 * enableCurrentTask();
 * function query(sql: string) {
 *   return db.query(sql, { signal: currentTask()?.signal });
 * }
 * ```
 */
export function currentTask(): TaskContext | undefined {
  return context.storage?.getStore();
}
