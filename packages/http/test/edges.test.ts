// Siblings of issue 16's item 2 in @nursery/http: a throwing onShutdown hook is an error of
// serve(), never an uncaught exception, and never skips the shutdown steps after it.
import { describe, expect, it } from "@jest/globals";
import type { IncomingMessage } from "node:http";
import net from "node:net";
import { webHandler, type RequestHandler } from "@nursery/http";
import { deferred, get, startServing } from "./support/harness.js";

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
      // @ts-expect-error TS1058: returning the own context is refused by the types; this checks the run time too
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

describe("a client that leaves in the middle of its request body", () => {
  /** Serves `handler`, sends half a body and leaves once the handler started reading; returns what was reported and what the handler caught. */
  async function halfBody(read: (req: IncomingMessage, request: Request) => Promise<unknown>, rethrow: (err: unknown) => unknown = (err) => err): Promise<{ reported: unknown[]; caught: unknown }> {
    const reported: unknown[] = [];
    const reading = deferred();
    const caught = deferred<unknown>();
    const inner = webHandler(async (request) => {
      reading.resolve();
      try {
        await read(current, request);
      } catch (err) {
        caught.resolve(err);
        throw rethrow(err);
      }
      return new Response("read it all");
    });
    let current!: IncomingMessage;
    const handler: RequestHandler = (req, res, task) => {
      current = req;
      return inner(req, res, task);
    };
    const served = await startServing({ handler, onError: (error) => reported.push(error) });
    const socket = net.connect(Number(new URL(served.url).port), "127.0.0.1");
    socket.on("error", () => undefined);
    socket.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf");
    await reading.promise;
    socket.destroy();
    const err = await caught.promise;
    served.shutdown();
    await served.done;
    return { reported, caught: err };
  }

  it("regression: a handler reading the Node request fails with its stream's error, which is not reported", async () => {
    const { reported, caught } = await halfBody(async (req) => {
      for await (const chunk of req) void chunk;
    });
    expect(caught).toMatchObject({ message: "aborted" });
    expect(reported).toEqual([]);
  });

  it("regression: a web handler reading the Request's body fails with the stream's error, which is not reported", async () => {
    const { reported, caught } = await halfBody((req, request) => request.text());
    expect(caught).toMatchObject({ message: "aborted" });
    expect(reported).toEqual([]);
  });

  it("still reports an error of the handler's own that wraps the stream's error", async () => {
    const { reported } = await halfBody((req, request) => request.text(), (err) => new Error("upload failed", { cause: err }));
    expect(reported).toEqual([expect.objectContaining({ message: "upload failed" })]);
  });
});
