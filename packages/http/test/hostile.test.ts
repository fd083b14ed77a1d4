// Handlers that return or throw hostile values: whatever the handler's result does when it is
// read, called or printed, the request fails alone (500, reported once) and the server goes on.
import { describe, expect, it } from "@jest/globals";
import { format } from "node:util";
import type { RequestHandler } from "@nursery/http";
import { get, startServing } from "./support/harness.js";

const trap = (): never => {
  throw new Error("trap");
};
const hostileProxy = (): object => new Proxy({}, { get: trap, has: trap, getPrototypeOf: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });

/** Serves `handler`, sends two requests one after the other, shuts down; returns the statuses, the reports and how the server's nursery ended. */
async function twoRequests(handler: RequestHandler, onError?: (error: unknown) => void): Promise<{ statuses: unknown[]; reported: unknown[]; ended: unknown }> {
  const reported: unknown[] = [];
  const served = await startServing({
    handler,
    ...(onError === undefined ? {} : { onError: (error) => {
      reported.push(error);
      onError(error);
    } }),
  });
  const statuses = [];
  for (const path of ["/a", "/b"]) {
    const reply = await get(`${served.url}${path}`);
    statuses.push("status" in reply ? reply.status : reply.error);
  }
  served.shutdown();
  const ended = await served.done.then(
    () => "resolved",
    (err: unknown) => err,
  );
  return { statuses, reported, ended };
}

describe("a handler's hostile result", () => {
  it.each([
    ["a result whose `then` getter throws", () => ({ get then(): never { throw new Error("then getter"); } })],
    ["a thenable whose then() throws", () => ({ then: (): never => { throw new Error("then throws"); } })],
    ["a Proxy whose get trap throws", hostileProxy],
  ])("regression: %s answers 500, is reported once per request, and the server goes on", async (_, handler) => {
    const { statuses, reported, ended } = await twoRequests(handler as RequestHandler, () => undefined);
    expect(statuses).toEqual([500, 500]);
    expect(reported).toHaveLength(2);
    expect(reported[0]).toBeInstanceOf(Error);
    expect(ended).toBe("resolved"); // shut down by its cancellation: the requests nursery never failed
  });

  it("regression: a thenable that calls back twice, and both ways, ends its request once and reports nothing", async () => {
    const { statuses, reported, ended } = await twoRequests(
      (req, res) => ({
        then(resolve: () => void, reject: (err: unknown) => void) {
          res.end("ok");
          resolve();
          reject(new Error("after the success"));
          resolve();
        },
      }),
      () => undefined,
    );
    expect(statuses).toEqual([200, 200]);
    expect(reported).toEqual([]);
    expect(ended).toBe("resolved");
  });
});

describe("an error that cannot be printed", () => {
  const unprintable = (): object => ({
    [Symbol.for("nodejs.util.inspect.custom")]: (): never => {
      throw new Error("inspect throws");
    },
  });

  it.each([
    ["thrown", (): never => { throw unprintable(); }],
    ["rejected", async (): Promise<never> => { throw unprintable(); }],
  ])("regression: %s by a handler without onError, is printed by its type, answers 500, and the server goes on", async (_, handler) => {
    const printed: string[] = [];
    const original = console.error;
    // What console.error does with its arguments: util.format, which runs util.inspect.custom.
    console.error = (...args: unknown[]) => void printed.push(format(...args));
    try {
      const { statuses, ended } = await twoRequests(handler);
      expect(statuses).toEqual([500, 500]);
      expect(ended).toBe("resolved");
    } finally {
      console.error = original;
    }
    expect(printed).toEqual([
      "GET /a failed: `[object Object]` (object) (printing it threw: inspect throws)",
      "GET /b failed: `[object Object]` (object) (printing it threw: inspect throws)",
    ]);
  });

  it("regression: a throwing onError hook's error that cannot be printed does not break the server either", async () => {
    const printed: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void printed.push(format(...args));
    try {
      const { statuses, reported } = await twoRequests(
        () => {
          throw new Error("boom");
        },
        () => {
          throw unprintable();
        },
      );
      expect(statuses).toEqual([500, 500]);
      expect(reported).toHaveLength(2);
    } finally {
      console.error = original;
    }
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/^GET \/a failed: `\[object Error\]` \(object\) \nand onError threw: `\[object Object\]` \(object\) \(printing it threw: inspect throws\)$/);
  });
});
