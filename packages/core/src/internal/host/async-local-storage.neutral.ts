// Runtimes without node:async_hooks (browsers, workerd): constructing the storage, which only
// enableCurrentTask() does, throws; currentTask() then stays undefined. The check lives here, not
// in current-task.ts, so that Node bundles do not carry it.
import type { TaskContext } from "../../task.js";
import type { TaskStorage } from "../context.js";
import { unsupportedRuntime } from "./unsupported.js";

export class AsyncLocalStorage<T extends TaskContext = TaskContext> implements TaskStorage {
  constructor() {
    throw unsupportedRuntime("enableCurrentTask()", "AsyncLocalStorage (Node, Bun, Deno)", "pass the task's signal down instead");
  }

  run<A extends unknown[], R>(_store: T, fn: (...args: A) => R, ...args: A): R {
    return fn(...args);
  }

  getStore(): T | undefined {
    return undefined;
  }

  exit<R>(fn: () => R): R {
    return fn();
  }
}
