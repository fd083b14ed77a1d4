import { describe, expect, it } from "@jest/globals";
import http from "node:http";
import { CancelledError, openNursery, type TaskContext } from "@nursery/core";
import { expectHouseTypeError, NOT_DURATIONS } from "@nursery/core/testing";
import { serve, webHandler, type ServeOptions } from "@nursery/http";

const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end();

/** A task of an open nursery, for argument checks that must fail before serving anything. */
async function withTask(fn: (task: TaskContext) => Promise<void>): Promise<void> {
  const n = openNursery();
  try {
    await n.spawn(fn);
  } finally {
    n.cancel();
    await n[Symbol.asyncDispose]();
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("serve arguments", () => {
  it.each(NOT_DURATIONS)("rejects %s as drainDelay, grace and cleanupTimeout with a TypeError naming the option", async (_, value) => {
    for (const name of ["drainDelay", "grace", "cleanupTimeout"] as const) {
      await withTask(async (task) => {
        const server = http.createServer();
        expectHouseTypeError(await rejection(serve(task, server, { handler, [name]: value } as ServeOptions)), name);
        expect(server.listening).toBe(false);
      });
    }
  });

  it("rejects a task, a server, a handler, paths, hooks and listen options of the wrong type", async () => {
    await withTask(async (task) => {
      const server = http.createServer();
      expectHouseTypeError(await rejection(serve({} as TaskContext, server, { handler })), "task");
      expectHouseTypeError(await rejection(serve(task, {} as http.Server, { handler })), "server");
      expectHouseTypeError(await rejection(serve(task, server)), "handler"); // no handler and no "request" listener
      expectHouseTypeError(await rejection(serve(task, server, { handler: "x" } as unknown as ServeOptions)), "handler");
      expectHouseTypeError(await rejection(serve(task, server, { handler, readiness: "readyz" })), "readiness");
      expectHouseTypeError(await rejection(serve(task, server, { handler, liveness: 1 } as unknown as ServeOptions)), "liveness");
      expectHouseTypeError(await rejection(serve(task, server, { handler, onError: {} } as unknown as ServeOptions)), "onError");
      expectHouseTypeError(await rejection(serve(task, server, { handler, onShutdown: 1 } as unknown as ServeOptions)), "onShutdown");
      expectHouseTypeError(await rejection(serve(task, server, { handler, listen: -1 })), "listen");
      expectHouseTypeError(await rejection(serve(task, server, { handler, name: 1 } as unknown as ServeOptions)), "name");
      expectHouseTypeError(await rejection(serve(task, server, 5 as unknown as ServeOptions)), "options");
      expect(() => webHandler(undefined as unknown as Parameters<typeof webHandler>[0])).toThrow(TypeError);
      expect(server.listening).toBe(false);
    });
  });

  it.each([
    ["a negative port", { port: -1 }, "listen.port"],
    ["a port as a string", { port: "0" }, "listen.port"],
    ["a fractional port", { port: 80.5 }, "listen.port"],
    ["a host that is not a string", { port: 0, host: 1 }, "listen.host"],
    ["a path that is not a string", { path: 1 }, "listen.path"],
    ["neither a port nor a path", { host: "127.0.0.1" }, "listen"],
  ])("regression: rejects listen options with %s as a TypeError naming them, leaving no listener on the server", async (_, listen, name) => {
    await withTask(async (task) => {
      const server = http.createServer();
      const before = server.eventNames().map((event) => [event, server.listenerCount(event)]);
      expectHouseTypeError(await rejection(serve(task, server, { handler, listen } as unknown as ServeOptions)), name);
      expect(server.eventNames().map((event) => [event, server.listenerCount(event)])).toEqual(before);
      expect(server.listening).toBe(false);
    });
  });

  it("regression: an option server.listen() itself refuses rejects with its error and leaves no listener on the server", async () => {
    await withTask(async (task) => {
      const server = http.createServer();
      const before = server.eventNames().map((event) => [event, server.listenerCount(event)]);
      const err = await rejection(serve(task, server, { handler, listen: { port: 0, host: "127.0.0.1", signal: "not a signal" } } as unknown as ServeOptions));
      expect(err).toMatchObject({ name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
      // once()'s "listening" and "error" listeners were left behind: a later "error" rejected a promise nobody awaited.
      expect(server.eventNames().map((event) => [event, server.listenerCount(event)])).toEqual(before);
    });
  });

  it("rejects at once with the task's reason, listening to nothing, when the task is already cancelled", async () => {
    const n = openNursery();
    const server = http.createServer();
    const before = server.eventNames();
    const seen = n.spawn(async (task) => {
      n.cancel();
      return rejection(serve(task, server, { handler, listen: 0 }));
    });
    await n[Symbol.asyncDispose]();
    const err = await seen;
    expect(err).toBeInstanceOf(CancelledError);
    expect(server.listening).toBe(false);
    expect(server.eventNames()).toEqual(before);
  });
});
