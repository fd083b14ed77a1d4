// Type tests of @nursery/core's public types, with expect-type. They are checked by `tsc -b` (the
// test tsconfig), not by jest, which only transpiles: a wrong inference fails the type-check step,
// and each `@ts-expect-error` fails it when the line it marks stops being an error. Calls that
// would do something at run time (run()) sit in functions that are never called.
import { describe, it, expect } from "@jest/globals";
import { expectTypeOf } from "expect-type";
import {
  nursery,
  openNursery,
  moveOnAfter,
  failAfter,
  shield,
  onCancel,
  run,
  CancelledError,
  NurseryError,
  checkpoint,
  type Cancellable,
  type CancelSource,
  type ScopeContext,
  type Clock,
  type Nursery,
  type StartContext,
  type Task,
  type TaskContext,
  type TaskState,
} from "@nursery/core";

describe("public types", () => {
  it("spawn() infers the task's result type, and awaiting the Task gives it", async () => {
    await nursery(async (n) => {
      expectTypeOf(n.spawn(() => 1)).toEqualTypeOf<Task<number>>();
      expectTypeOf(n.spawn(async () => "text")).toEqualTypeOf<Task<string>>();
      expectTypeOf(n.spawn((task) => Promise.resolve(task.name.length > 0))).toEqualTypeOf<Task<boolean>>();
      // A function returning another task (any PromiseLike) is unwrapped once, like a promise.
      const inner = n.spawn(() => 42 as const);
      expectTypeOf(n.spawn(() => inner)).toEqualTypeOf<Task<42>>();
      expectTypeOf(n.spawn(() => {})).toEqualTypeOf<Task<void>>();
      const value = await n.spawn(async () => ({ id: 1 }));
      expectTypeOf(value).toEqualTypeOf<{ id: number }>();
      expectTypeOf(n.spawn).parameter(0).parameter(0).toEqualTypeOf<TaskContext>();
      // @ts-expect-error the name option is a string
      expect(() => n.spawn(() => 1, { name: 5 })).toThrow(TypeError);
    });
  });

  it("start() infers started()'s argument from its type parameter; the default takes none", async () => {
    await nursery(async (n) => {
      const port = n.start<number>((task) => {
        expectTypeOf(task).toEqualTypeOf<StartContext<number>>();
        expectTypeOf(task.started).parameter(0).toEqualTypeOf<number>();
        task.started(8080);
      });
      expectTypeOf(port).toEqualTypeOf<Promise<number>>();
      // Inferred from an annotated parameter as well.
      const url = n.start((task: StartContext<URL>) => task.started(new URL("http://localhost")));
      expectTypeOf(url).toEqualTypeOf<Promise<URL>>();
      const ready = n.start((task) => task.started());
      expectTypeOf(ready).toEqualTypeOf<Promise<void>>();
      await n.start<string>((task) => {
        // @ts-expect-error started() of a StartContext<string> does not take a number
        task.started(1);
      }).catch(() => undefined);
      await port;
      await url;
      await ready;
    });
  });

  it("Task is a PromiseLike with a name, a state and cancel(); it is not a Promise", () => {
    expectTypeOf<Task<number>>().toExtend<PromiseLike<number>>();
    expectTypeOf<Task<number>>().not.toExtend<Promise<number>>();
    expectTypeOf<Task<number>["state"]>().toEqualTypeOf<TaskState>();
    expectTypeOf<TaskState>().toEqualTypeOf<"running" | "fulfilled" | "rejected" | "cancelled">();
    expectTypeOf<Task<number>["cancel"]>().toEqualTypeOf<(reason?: unknown) => void>();
    expectTypeOf<Task<number>["name"]>().toEqualTypeOf<string>();
  });

  it("run() has two overloads: exit: false resolves with the exit code, otherwise with void", () => {
    // Never called: run() would install signal handlers and exit the process.
    const typesOnly = (): void => {
      expectTypeOf(run(() => 1, { exit: false })).toEqualTypeOf<Promise<number>>();
      expectTypeOf(run(async () => "x", { exit: false, shutdownTimeout: 5 })).toEqualTypeOf<Promise<number>>();
      expectTypeOf(run(() => 1)).toEqualTypeOf<Promise<void>>();
      expectTypeOf(run(() => 1, { exit: true })).toEqualTypeOf<Promise<void>>();
      expectTypeOf(run(() => 1, { signals: ["SIGTERM"] })).toEqualTypeOf<Promise<void>>();
      // @ts-expect-error onSecondSignal is "force" or "ignore"
      void run(() => 1, { onSecondSignal: "panic" });
      // @ts-expect-error signals are signal names
      void run(() => 1, { signals: ["SIGNOPE"] });
    };
    expectTypeOf(run).parameter(0).parameter(0).toEqualTypeOf<TaskContext>();
    expect(typeof typesOnly).toBe("function");
  });

  it("nursery() and the scopes type their results; openNursery() is an AsyncDisposable Nursery", () => {
    const typesOnly = (): void => {
      expectTypeOf(nursery(() => 1)).toEqualTypeOf<Promise<number>>();
      expectTypeOf(nursery(async (n) => n.name)).toEqualTypeOf<Promise<string>>();
      expectTypeOf(moveOnAfter(10, async () => 1)).toEqualTypeOf<Promise<number | undefined>>();
      expectTypeOf(failAfter(10, async () => 1)).toEqualTypeOf<Promise<number>>();
      expectTypeOf(shield(async () => "s")).toEqualTypeOf<Promise<string>>();
      expectTypeOf(openNursery()).toEqualTypeOf<Nursery & AsyncDisposable>();
      expectTypeOf(openNursery(new AbortController().signal, { name: "x" })).toEqualTypeOf<Nursery & AsyncDisposable>();
      // @ts-expect-error the parent is a Cancellable, not a number
      void openNursery(5, { name: "x" });
      // @ts-expect-error cancelOrder is "reverse" or "concurrent"
      void nursery(() => 1, { cancelOrder: "sideways" });
      // @ts-expect-error timeout is a number
      void nursery(() => 1, { timeout: "5s" });
    };
    expect(typeof typesOnly).toBe("function");
  });

  it("contexts, errors and onCancel() have the documented shapes", () => {
    expectTypeOf<TaskContext["signal"]>().toEqualTypeOf<AbortSignal>();
    expectTypeOf<TaskContext["clock"]>().toEqualTypeOf<Clock>();
    expectTypeOf<TaskContext["nursery"]>().toEqualTypeOf<Nursery>();
    expectTypeOf<Nursery["children"]>().toEqualTypeOf<readonly Task<unknown>[]>();
    expectTypeOf<CancelledError["reason"]["source"]>().toEqualTypeOf<CancelSource>();
    expectTypeOf<CancelSource>().toEqualTypeOf<"explicit" | "signal" | "deadline" | "sibling-failed" | "parent">();
    expectTypeOf<NurseryError>().toExtend<AggregateError>();
    expectTypeOf<NurseryError["code"]>().toEqualTypeOf<"ERR_NURSERY_FAILED">();
    expectTypeOf(onCancel).returns.toEqualTypeOf<() => void>();
    const typesOnly = (task: TaskContext): void => {
      onCancel(task, () => {});
      onCancel(task.signal, () => {});
      // @ts-expect-error a number is not cancellable
      onCancel(5, () => {});
    };
    expect(typeof typesOnly).toBe("function");
  });

  it("issue 17: the parent-first forms type their scope context, start's T and started()'s argument", async () => {
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        expectTypeOf(openNursery(task)).toEqualTypeOf<Nursery & AsyncDisposable>();
        expectTypeOf(openNursery(task, { name: "inner" })).toEqualTypeOf<Nursery & AsyncDisposable>();
        expectTypeOf(nursery(task, () => 1)).toEqualTypeOf<Promise<number>>();
        expectTypeOf(moveOnAfter(task, 10, (scope) => scope.name)).toEqualTypeOf<Promise<string | undefined>>();
        expectTypeOf(failAfter(task, 10, async () => 1)).toEqualTypeOf<Promise<number>>();
        expectTypeOf(shield(task, (scope) => scope)).toEqualTypeOf<Promise<ScopeContext>>();
        expectTypeOf(moveOnAfter(task, 10, (scope) => scope)).resolves.toEqualTypeOf<ScopeContext | undefined>();
        await moveOnAfter(task, 10, (scope) => {
          expectTypeOf(scope).toEqualTypeOf<ScopeContext>();
          expectTypeOf(scope.task).toEqualTypeOf<TaskContext | undefined>();
          expectTypeOf(scope.clock).toEqualTypeOf<Clock>();
          // A scope context is itself a parent.
          return nursery(scope, () => "nested");
        });
        // The old forms keep their signal argument.
        await moveOnAfter(10, (signal) => expectTypeOf(signal).toEqualTypeOf<AbortSignal>());
        await checkpoint(task);
        // @ts-expect-error a number is not a parent
        expect(() => nursery(5, () => 1)).toThrow(TypeError);
        // @ts-expect-error the parent-first form takes no `signal` option: the parent is the signal
        expect(() => moveOnAfter(task, 10, () => 1, { signal: task.signal })).toThrow(TypeError);

        // start(): T from the type argument or from an annotated parameter; started() needs a value
        // unless T admits undefined.
        expectTypeOf(n.start<number>(task, (t) => t.started(1))).toEqualTypeOf<Promise<number>>();
        expectTypeOf(n.start(task, (t: StartContext<URL>) => t.started(new URL("http://x")))).toEqualTypeOf<Promise<URL>>();
        expectTypeOf(n.start(task, (t) => t.started())).toEqualTypeOf<Promise<void>>();
        expectTypeOf(n.start<number | undefined>(task, (t) => t.started())).toEqualTypeOf<Promise<number | undefined>>();
        await n.start<number>(task, (t) => {
          // @ts-expect-error start<number>() must be given a number: started() alone would resolve undefined
          t.started();
        }).catch(() => undefined);
      });
    });
  });

  it("issue 17: started() may be called without a value only when T admits undefined, in both start() forms", async () => {
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        await n.start<number>((t) => {
          // @ts-expect-error start<number>(fn) must be given a number, as start<number>(task, fn) is
          t.started();
        }).catch(() => undefined);
        expectTypeOf(n.start<undefined>(task, (t) => t.started())).toEqualTypeOf<Promise<undefined>>();
        expectTypeOf(n.start<string | undefined>((t) => t.started())).toEqualTypeOf<Promise<string | undefined>>();
        // T comes from the annotated parameter in both forms: a started(value) call in the body
        // cannot be inferred from (TypeScript infers from arguments, not from calls in a body).
        expectTypeOf(n.start((t: StartContext<number>) => t.started(1))).toEqualTypeOf<Promise<number>>();
        await n.start(task, (t: StartContext<number>) => {
          // @ts-expect-error the annotated StartContext<number> takes a number
          t.started("1");
        }).catch(() => undefined);
      });
    });
  });

  it("issue 17: returning a task's own context from run()'s main is a type error; Task has catch and finally", () => {
    const typesOnly = (): void => {
      // @ts-expect-error main may not return its own context: it would wait for itself forever
      void run(async (t) => t);
      // @ts-expect-error also when returned synchronously
      void run((t) => t);
      void run(async (t) => ({ task: t }));
      void run(async () => JSON.parse("1") as unknown);
    };
    expect(typeof typesOnly).toBe("function");
    expectTypeOf<ReturnType<Task<number>["catch"]>>().toExtend<Promise<unknown>>();
    expectTypeOf<Task<number>["finally"]>().returns.toEqualTypeOf<Promise<number>>();
  });

  // The context is the task at run time, a thenable: waiting on it from inside the task never ends.
  // Its type has a `then` whose parameter is `never`, which TypeScript takes for a thenable that is
  // not a valid promise: TS1058 when an async function returns it, TS1320 when it is awaited.
  it("issue 17: an async body may not return or await its own context, also after its first await", () => {
    const typesOnly = (n: Nursery, task: TaskContext): void => {
      // @ts-expect-error spawn(): returned after the first await, it would wait for itself forever
      void n.spawn(async (t) => {
        await null;
        return t;
      });
      // @ts-expect-error spawn(): also returned before the first await (the run time catches that one too)
      void n.spawn(async (t) => t);
      void n.spawn(async (t) => {
        // @ts-expect-error awaiting the own context waits for itself
        await t;
      });
      // @ts-expect-error start(): a start context is a task context
      void n.start(async (t) => {
        await null;
        return t;
      });
      // @ts-expect-error start(caller, fn) as well
      void n.start(task, async (t) => {
        await null;
        return t;
      });
      // @ts-expect-error run(): after the first await (NotOwnContext<T> also refuses it)
      void run(async (t) => {
        await null;
        return t;
      });
      // @ts-expect-error a scope's body returning the enclosing task waits for that task: itself
      void moveOnAfter(task, 10, async () => {
        await null;
        return task;
      });
      // @ts-expect-error so does a nested nursery's body
      void nursery(task, async () => {
        await null;
        return task;
      });
      // @ts-expect-error the context's `then` is not for calling
      void task.then(() => 1);
    };
    expect(typeof typesOnly).toBe("function");
  });

  it("issue 17: a wrapped context, generic wrappers and the Cancellable-taking functions still compile", async () => {
    await nursery(async (n) => {
      const wrapped = await n.spawn(async (t) => {
        await null;
        return { task: t };
      });
      expectTypeOf(wrapped).toEqualTypeOf<{ task: TaskContext }>();
      // A generic wrapper over spawn: U is not known to be a context, so the body is a valid promise.
      const wrap = <U>(f: () => Promise<U>): Task<U> => n.spawn(async () => f());
      expectTypeOf(await wrap(async () => 1)).toEqualTypeOf<number>();
      const withContext = <U>(f: (t: TaskContext) => Promise<U>): Task<U> =>
        n.spawn(async (t) => {
          await null;
          return f(t);
        });
      expectTypeOf(await withContext(async (t) => t.name)).toEqualTypeOf<string>();
      // Another task's handle is a PromiseLike and is awaited as before.
      expectTypeOf(await n.spawn(async () => (await n.spawn(async () => 1)) + 1)).toEqualTypeOf<number>();
      await n.spawn(async (t) => {
        expectTypeOf(t).toExtend<Cancellable>();
        expectTypeOf(n.start(t, (s) => s.started())).toEqualTypeOf<Promise<void>>();
        onCancel(t, () => {})();
        await checkpoint(t);
        expect(await nursery(t, async () => 1)).toBe(1);
        expect(await moveOnAfter(t, 1_000, async (scope) => scope.task === t)).toBe(true);
        // A scope context is not a thenable: returning it resolves with it.
        expectTypeOf(await shield(t, async (scope) => scope)).toEqualTypeOf<ScopeContext>();
      });
    });
  });

  it("issue 17: Promise.resolve() of a context is typed as never settling; the context is not a PromiseLike", () => {
    // Promise.resolve(t) adopts the task's outcome (its `then` is called): from inside the task that
    // never comes, and `Awaited<TaskContext>` is `never`, so the promise is a Promise<never>.
    expectTypeOf<Awaited<TaskContext>>().toBeNever();
    const typesOnly = (t: TaskContext): void => {
      expectTypeOf(Promise.resolve(t)).toEqualTypeOf<Promise<never>>();
    };
    expect(typeof typesOnly).toBe("function");
    expectTypeOf<TaskContext>().not.toExtend<PromiseLike<unknown>>();
    expectTypeOf<TaskContext["then"]>().toEqualTypeOf<(ownContextIsNotAwaitable: never) => unknown>();
  });
});
