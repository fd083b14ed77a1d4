// Issue 17, type holes at run time, without currentTask(): a body that returns (or awaits) its own
// task context before its first `await` fails at once instead of waiting for itself forever. Its
// own file: own-context.test.ts turns currentTask() on, which this file must not have.
import { describe, expect, it } from "@jest/globals";
import { NurseryError, failAfter, moveOnAfter, nursery, shield, type Nursery, type TaskContext } from "@nursery/core";
import { settledWithin } from "@nursery/core/testing";

const OWN = /^Task "(self|start-self|outer)" waited for its own result/;

/** The first error of a nursery's rejection; `pending` when it did not settle (the old hang). */
async function failureOf(done: Promise<unknown>, n: { cancel(): void } | undefined): Promise<unknown> {
  const outcome = await settledWithin(done);
  if (outcome.state === "pending") {
    n?.cancel(); // the hang this file guards against: end it so the run does not wait for it
    return "pending";
  }
  if (outcome.state !== "rejected") return outcome;
  let err = outcome.error;
  while (err instanceof NurseryError) err = err.errors[0];
  return err;
}

describe("a body that returns its own context, without currentTask()", () => {
  it("regression: n.spawn(async (t) => t) rejects at once with a TypeError saying so", async () => {
    let outer: Nursery | undefined;
    const done = nursery((n) => {
      outer = n;
      // @ts-expect-error deliberately returns its own context, a type error (TS1058), to test the run-time TypeError
      n.spawn((async (t: TaskContext) => t) as never, { name: "self" });
    });
    const err = await failureOf(done, outer);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(OWN);
  });

  it("regression: a task that awaits itself before its first await rejects at once", async () => {
    let outer: Nursery | undefined;
    const done = nursery((n) => {
      outer = n;
      n.spawn(async (t) => {
        // @ts-expect-error deliberately awaits its own context, a type error (TS1320), to test the run-time TypeError
        await t;
      }, { name: "self" });
    });
    const err = await failureOf(done, outer);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(OWN);
  });

  it("regression: n.start(async (t) => t) rejects start() at once; the nursery does not fail", async () => {
    let started: unknown;
    const value = await nursery(async (n) => {
      // @ts-expect-error deliberately returns its own context, a type error (TS1058), to test the run-time TypeError
      started = await settledWithin(n.start((async (t: TaskContext) => t) as never, { name: "start-self" }));
      if ((started as { state: string }).state === "pending") n.cancel(); // the old hang: end it
      return "nursery ok";
    });
    expect(value).toBe("nursery ok");
    expect(started).toMatchObject({ state: "rejected", error: expect.any(TypeError) });
    expect(((started as { error: Error }).error).message).toMatch(OWN);
  });

  it("n.start((t) => t) rejects start() at once (returned synchronously)", async () => {
    await nursery(async (n) => {
      const err = await n.start(((t: TaskContext) => t) as never, { name: "start-self" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toMatch(OWN);
    });
  });

  it("regression: a nursery body that returns its enclosing task fails at once instead of waiting for it", async () => {
    let outer: Nursery | undefined;
    const done = nursery((n) => {
      outer = n;
      n.spawn(async (task) => {
        // @ts-expect-error deliberately returns the enclosing task's context, a type error (TS1058), to test the run-time TypeError
        await nursery(task, async () => task);
      }, { name: "outer" });
    });
    const err = await failureOf(done, outer);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(OWN);
  });

  it("leaves alone a task that reads its own `then` without waiting, and siblings that await it", async () => {
    const value = await nursery(async (n) => {
      const a = n.spawn(async (t) => {
        const thenable = typeof (t as unknown as PromiseLike<unknown>).then === "function"; // what adapters' task checks read
        await new Promise<void>((resolve) => setImmediate(resolve));
        return thenable;
      });
      const b = n.spawn(async () => ((await a) ? 2 : 0));
      return b;
    });
    expect(value).toBe(2);
  });
});

describe("bodies whose context is not a task cannot wait for themselves", () => {
  it("nursery(), moveOnAfter(), failAfter() and shield() resolve with a returned context", async () => {
    let own: Nursery | undefined;
    const returned = await nursery((n) => (own = n));
    expect(returned).toBe(own);
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        const inner = await nursery(task, (m) => m);
        expect(inner.name).toBe("nursery");
        expect((await moveOnAfter(task, 1_000, (scope) => scope))?.name).toBe("scope");
        expect((await failAfter(task, 1_000, (scope) => scope)).name).toBe("scope");
        expect((await shield(task, (scope) => scope)).name).toBe("scope");
      });
    });
  });
});
