// The optional AsyncLocalStorage behind currentTask(). Undefined until enableCurrentTask() is
// called, so tasks pay nothing for it unless a program opts in.
import type { TaskContext } from "../task.js";

/** The part of AsyncLocalStorage that currentTask() uses. */
export interface TaskStorage {
  run<A extends unknown[], R>(store: TaskContext, fn: (...args: A) => R, ...args: A): R;
  getStore(): TaskContext | undefined;
  exit<R>(fn: () => R): R;
}

export const context: { storage: TaskStorage | undefined } = { storage: undefined };
