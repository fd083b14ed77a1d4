// Runtimes without node:async_hooks (browsers, workerd): no AsyncLocalStorage, so
// enableCurrentTask() throws and currentTask() stays undefined (see current-task.ts).
import type { TaskStorage } from "../context.js";

export const AsyncLocalStorage: (new () => TaskStorage) | undefined = undefined;
