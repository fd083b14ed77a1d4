// Siblings of issue 16's item 2 in @nursery/http: a throwing onShutdown hook is an error of
// serve(), never an uncaught exception, and never skips the shutdown steps after it.
import { describe, expect, it } from "@jest/globals";
import { get, startServing } from "./support/harness.js";

function errorsOf(err: unknown): unknown[] {
  const list = (err as { errors?: unknown[] } | null)?.errors;
  return Array.isArray(list) ? list.flatMap(errorsOf) : [err];
}

describe("serve with a throwing onShutdown", () => {
  it("regression: a hook that throws at draining still closes the listener, and serve() fails with it", async () => {
    const hookFailed = new Error("onShutdown failed");
    const served = await startServing({
      handler: (req, res) => res.end("ok"),
      onShutdown: (phase) => {
        if (phase === "draining") throw hookFailed;
      },
    });
    served.shutdown();
    const outcome = await served.done.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(errorsOf(outcome)).toContain(hookFailed);
    expect(served.phases.map(([phase]) => phase)).toEqual(["draining", "closing"]);
    expect(await get(`${served.url}/late`)).toEqual({ error: "ECONNREFUSED" });
  });

  it("regression: a hook that throws at destroying (on the budget timer) is serve()'s error, not an uncaught exception", async () => {
    const hookFailed = new Error("onShutdown failed at destroying");
    let inside!: () => void;
    const arrived = new Promise<void>((resolve) => (inside = resolve));
    const served = await startServing({
      grace: 0,
      cleanupTimeout: 0,
      // Ignores its cancellation: only the destroyed socket ends it.
      handler: (req, res) =>
        new Promise<void>((resolve) => {
          res.on("close", () => resolve());
          inside();
        }),
      onShutdown: (phase) => {
        if (phase === "destroying") throw hookFailed;
      },
    });
    const reply = get(`${served.url}/stuck`);
    await arrived;
    served.shutdown();
    const outcome = await served.done.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(errorsOf(outcome)).toContain(hookFailed);
    expect(served.phases.map(([phase]) => phase)).toContain("destroying");
    expect(await reply).toEqual({ error: "ECONNRESET" });
  });
});

describe("a handler that returns its request's task", () => {
  it("regression: answers 500 at once and reports a TypeError, instead of waiting for itself", async () => {
    const reported: unknown[] = [];
    const served = await startServing({
      onError: (error) => reported.push(error),
      handler: async (req, res, request) => request, // the request's task waits for this handler
    });
    const reply = await get(`${served.url}/self`);
    served.shutdown();
    await served.done;
    expect(reply).toMatchObject({ status: 500 });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(TypeError);
    expect((reported[0] as Error).message).toMatch(/^Task "GET \/self" waited for its own result/);
  });
});
