// The optional AsyncLocalStorage behind currentTask(). Undefined until enableCurrentTask() is
// called, so tasks pay nothing for it unless a program opts in.
import type { AsyncLocalStorage } from "node:async_hooks";
import type { TaskContext } from "../task.js";

export const context: { storage: AsyncLocalStorage<TaskContext> | undefined } = { storage: undefined };
