// The optional AsyncLocalStorage behind currentTask(). Undefined until enableCurrentTask() is
// called, so tasks pay nothing for it unless a program opts in.
import type { TaskContext } from "../task.js";

/** The part of AsyncLocalStorage that currentTask() uses. */
export interface TaskStorage {
  run<A extends unknown[], R>(store: TaskContext, fn: (...args: A) => R, ...args: A): R;
  getStore(): TaskContext | undefined;
  exit<R>(fn: () => R): R;
}

/**
 * `storage` holds the running task; `noticeUnlinked` is the check for a nursery opened without a
 * parent inside it (internal/unlinked.ts). enableCurrentTask() installs both, so a program that
 * never enables currentTask() neither runs the check nor carries its code (the definition-site
 * lookup) in its bundle.
 */
export const context: {
  storage: TaskStorage | undefined;
  noticeUnlinked: ((body: Function, name: string) => void) | undefined;
} = { storage: undefined, noticeUnlinked: undefined };
