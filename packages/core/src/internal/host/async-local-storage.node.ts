// Node, Bun and Deno: the runtime's AsyncLocalStorage, behind currentTask().
import { AsyncLocalStorage as NodeAsyncLocalStorage } from "node:async_hooks";
import type { TaskStorage } from "../context.js";

export const AsyncLocalStorage: (new () => TaskStorage) | undefined = NodeAsyncLocalStorage;
