// The OpenTelemetry context manager that knows about tasks.
//
// Goal. Inside a task, `context.active()` is that task's span context, so a span started by
// instrumented code (fetch, a database driver) is a child of the task's span.
//
// Design. Core runs each task's function inside its own AsyncLocalStorage when `enableCurrentTask()`
// was called, and `currentTask()` reads it. This manager keeps a second AsyncLocalStorage for
// `context.with()`, and records, with each context set, the task whose code set it. `active()`
// answers with the most recent of the two: a context set by `with()` in the running task's own
// code, else the running task's span context, else a context set outside it (by the code that
// spawned the task, or outside any task).
//
// Designs that do not work. `enterWith()` in the `nursery:spawn` subscriber: the event is
// published in the spawner's synchronous frame, so the spawner's own code after `spawn()` would run
// in the child's context. The SDK's AsyncLocalStorageContextManager alone: the spawner's context
// flows into the task, so every task and every fetch span would hang under the spawner's span.
//
// Known limits. Inside a task, `context.with(ROOT_CONTEXT, fn)` does detach (its entry is the
// task's own). A context captured in one task and re-entered with `bind()` inside another task's
// code counts as set by that other task.
import { AsyncLocalStorage } from "node:async_hooks";
import { ROOT_CONTEXT, type Context, type ContextManager } from "@opentelemetry/api";
import { currentTask, type TaskContext } from "@nursery/core";
import { enableCurrentTask } from "@nursery/core/debug";
import { contextOf } from "./internal/registry.js";

/** A context set by `with()`, and the task whose code set it (undefined outside any task). */
interface Entry {
  readonly context: Context;
  readonly task: TaskContext | undefined;
}

/**
 * An OpenTelemetry `ContextManager` (AsyncLocalStorage-based, as the SDK's) in which the active
 * context inside a task is that task's span, as recorded by {@link openTracing}. Register it in
 * place of the SDK's default: `context.setGlobalContextManager(new NurseryContextManager())` or
 * `new NodeSDK({ contextManager: new NurseryContextManager() })`.
 *
 * Creating one calls `enableCurrentTask()`, which costs on every promise (see the package README);
 * tasks spawned before it are seen as outside any task.
 *
 * @example
 * ```ts
 * context.setGlobalContextManager(new NurseryContextManager());
 * const tracing = openTracing({ tracer: trace.getTracer("crawler") });
 * ```
 */
export class NurseryContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Entry>();

  constructor() {
    enableCurrentTask();
  }

  active(): Context {
    const entry = this.#storage.getStore();
    const task = currentTask();
    if (task !== undefined && entry?.task !== task) {
      const own = contextOf(task);
      if (own !== undefined) return own;
    }
    return entry?.context ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const entry: Entry = { context, task: currentTask() };
    return this.#storage.run(entry, () => fn.apply(thisArg, args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== "function") return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper must keep its caller's `this`
    const manager = this;
    const bound = function (this: unknown, ...args: unknown[]): unknown {
      return manager.with(context, () => fn.apply(this, args));
    };
    return bound as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#storage.disable();
    return this;
  }
}
