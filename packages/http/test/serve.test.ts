import { describe, expect, it } from "@jest/globals";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { getEventListeners } from "node:events";
import http from "node:http";
import { CancelledError, isCancellation, onCancel, openNursery, type TaskContext } from "@nursery/core";
import { dumpTree } from "@nursery/core/debug";
import { requestTask, serve } from "@nursery/http";
import { arrivals, deferred, get, startServing, type Reply } from "./support/harness.js";

describe("serve", () => {
  it("runs every request as a task named METHOD /url, shown in the tree under the server's task", async () => {
    const inside = arrivals(2);
    const release = deferred();
    const names: string[] = [];
    const served = await startServing({
      handler: async (req, res, task) => {
        names.push(task.name);
        inside.arrive();
        await release.promise;
        res.end("ok");
      },
    });
    const replies = Promise.all([get(`${served.url}/a?x=1`), get(`${served.url}/b`, { method: "POST" })]);
    await inside.all;
    const tree = dumpTree(served.nursery);
    release.resolve();

    expect(new Set(names)).toEqual(new Set(["GET /a?x=1", "POST /b"]));
    expect(tree).toMatch(/└─ http \(nursery\)\n.*requests \(nursery\)\n.*GET \/a\?x=1 \[running, /);
    expect(tree).toContain("POST /b [running, ");
    expect((await replies).map((r) => (r as Reply).status)).toEqual([200, 200]);
  });

  it("cancels a request's task when its client goes away, and the handler's upstream fetch is aborted", async () => {
    const upstreamClosed = deferred<boolean>();
    const upstreamGot = deferred();
    const upstream = http.createServer((req, res) => {
      upstreamGot.resolve();
      res.on("close", () => upstreamClosed.resolve(res.writableFinished));
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const port = (upstream.address() as { port: number }).port;
    const seen = deferred<unknown>();
    const errors: unknown[] = [];
    try {
      const served = await startServing({
        onError: (error) => errors.push(error),
        handler: async (req, res, task) => {
          try {
            await fetch(`http://127.0.0.1:${port}/slow`, { signal: task.signal });
          } catch (err) {
            seen.resolve(err);
            throw err;
          }
        },
      });
      const client = http.request(`${served.url}/proxy`);
      client.on("error", () => undefined);
      client.end();
      await upstreamGot.promise;
      client.destroy();

      expect(await upstreamClosed.promise).toBe(false); // the upstream saw the abort, not a finished response
      const err = await seen.promise;
      expect(isCancellation(err)).toBe(true);
      expect((err as CancelledError).reason).toMatchObject({ source: "explicit", detail: "the client closed the connection" });
      served.shutdown();
      await served.done;
      expect(errors).toEqual([]);
    } finally {
      upstream.closeAllConnections();
      upstream.close();
    }
  });

  it("answers 500 to a failing handler, reports it once, and goes on serving the other requests", async () => {
    const reported: Array<[unknown, string]> = [];
    const published: unknown[] = [];
    const onPublish = (message: unknown): void => void published.push(message);
    subscribe("nursery:http:error", onPublish);
    const slowInside = deferred();
    const release = deferred();
    const boom = new Error("boom");
    try {
      const served = await startServing({
        onError: (error, { task }) => reported.push([error, task.name]),
        handler: async (req, res) => {
          if (req.url === "/fail") throw boom;
          if (req.url === "/slow") {
            slowInside.resolve();
            await release.promise;
          }
          res.end("ok");
        },
      });
      const slow = get(`${served.url}/slow`);
      await slowInside.promise;
      const failed = (await get(`${served.url}/fail`)) as Reply;
      release.resolve();

      expect([failed.status, failed.body]).toEqual([500, "internal server error\n"]);
      expect(((await slow) as Reply).status).toBe(200);
      expect(((await get(`${served.url}/after`)) as Reply).status).toBe(200);
      expect(reported).toEqual([[boom, "GET /fail"]]);
      expect(published).toHaveLength(1);
      expect(published[0]).toMatchObject({ error: boom, task: { name: "GET /fail" } });
    } finally {
      unsubscribe("nursery:http:error", onPublish);
    }
  });

  it("cuts a response that failed after its headers were sent, so the client sees the failure", async () => {
    const reported: unknown[] = [];
    const served = await startServing({
      onError: (error) => reported.push(error),
      handler: async (req, res) => {
        res.writeHead(200, { "content-length": "10" });
        res.write("part");
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error("half-way");
      },
    });
    expect(await get(`${served.url}/`)).toEqual({ error: "ECONNRESET" });
    expect(reported).toHaveLength(1);
  });

  it("prints a failure with console.error when there is no onError hook", async () => {
    const printed: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    try {
      const served = await startServing({
        handler: () => {
          throw new Error("sync failure");
        },
      });
      expect(((await get(`${served.url}/x`)) as Reply).status).toBe(500);
    } finally {
      console.error = original;
    }
    expect(printed).toHaveLength(1);
    expect(printed[0]?.[0]).toBe("GET /x failed:");
    expect((printed[0]?.[1] as Error).message).toBe("sync failure");
  });

  it("never answers 500 nor reports a handler that rethrows its own cancellation", async () => {
    const reported: unknown[] = [];
    const inside = deferred();
    const served = await startServing({
      grace: 0,
      onError: (error) => reported.push(error),
      handler: async (req, res, task) => {
        inside.resolve();
        await new Promise((_, reject) => onCancel(task, reject));
      },
    });
    const reply = get(`${served.url}/slow`);
    await inside.promise;
    served.shutdown();
    const r = (await reply) as Reply;
    expect([r.status, r.body, r.headers.connection]).toEqual([503, "shutting down\n", "close"]);
    await served.done;
    expect(reported).toEqual([]);
  });

  it("uses the server's own request listeners when no handler is given, and gives them back afterwards", async () => {
    const tasks: TaskContext[] = [];
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      tasks.push(requestTask(req));
      res.end("from the listener");
    };
    const server = http.createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const counts = (): string[] => server.eventNames().map((name) => `${String(name)}: ${server.listenerCount(name)}`).sort();
    const baseline = [...counts(), "close: 1"].sort(); // the test's own, below
    const served = await startServing({}, { server, listen: false });
    expect(((await get(`${served.url}/l`)) as Reply).body).toBe("from the listener");
    expect(tasks.map((t) => t.name)).toEqual(["GET /l"]);
    expect(server.listeners("request")).not.toContain(listener); // while serving, serve() owns the event
    const closed = new Promise((resolve) => server.on("close", resolve));
    served.shutdown();
    await served.done;
    await closed; // server.close()'s own callback is a listener until then
    expect(server.listeners("request")).toEqual([listener]);
    expect(counts()).toEqual(baseline);
  });

  it("serves a server that someone else makes listen, and resolves when someone else closes it", async () => {
    const server = http.createServer();
    const started = startServing({ handler: (req, res) => res.end("late") }, { server, listen: false });
    server.listen(0, "127.0.0.1");
    const served = await started;
    expect(((await get(`${served.url}/`)) as Reply).body).toBe("late");
    server.close();
    await served.done;
    expect(served.phases.map(([phase]) => phase)).toEqual(["draining", "closing"]);
  });

  it("rejects with the listen error, leaving no listener behind", async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    const server = http.createServer();
    const baseline = server.eventNames().map((name) => [name, server.listenerCount(name)]);
    try {
      await expect(startServing({ handler: () => undefined, listen: { port, host: "127.0.0.1" } }, { server })).rejects.toMatchObject({
        code: "EADDRINUSE",
      });
      expect(server.eventNames().map((name) => [name, server.listenerCount(name)])).toEqual(baseline);
    } finally {
      taken.close();
    }
  });

  it("regression: a listen error that arrives as the task is cancelled rejects with the listen error, not the cancellation", async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    const server = http.createServer();
    const n = openNursery();
    // The nursery is cancelled by a listener on "error" that runs right after serve()'s own, in the
    // same emit: serve() sees EADDRINUSE only once the task's cancellation has been decided.
    const listen = server.listen.bind(server) as (...args: unknown[]) => http.Server;
    server.listen = ((...args: unknown[]) => {
      const listening = listen(...args);
      server.on("error", () => n.cancel());
      return listening;
    }) as typeof server.listen;
    n.spawn((task) => serve(task, server, { handler: () => undefined, listen: { port, host: "127.0.0.1" } }));
    try {
      const outcome = await n[Symbol.asyncDispose]().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect((outcome as { errors?: unknown[] } | undefined)?.errors).toEqual([expect.objectContaining({ code: "EADDRINUSE" })]);
    } finally {
      taken.close();
    }
  });

  it("throws a TypeError for a request it does not serve", () => {
    expect(() => requestTask({} as http.IncomingMessage)).toThrow(
      new TypeError("Expected `request` to be a request served by serve(), got `[object Object]` (object)"),
    );
  });
});

describe("serve listeners", () => {
  it("leaves the task's signal with the listeners it had once the server is closed by someone else", async () => {
    const n = openNursery();
    const server = http.createServer();
    const counts = await n.spawn(async (task) => {
      const before = getEventListeners(task.signal, "abort").length;
      const serving = serve(task, server, { handler: (req, res) => void res.end("x"), listen: { port: 0, host: "127.0.0.1" } });
      await new Promise((resolve) => server.once("listening", resolve));
      const { port } = server.address() as { port: number };
      expect(((await get(`http://127.0.0.1:${port}/`)) as Reply).body).toBe("x"); // served: the nurseries are open
      const during = getEventListeners(task.signal, "abort").length;
      server.close();
      await serving;
      return { before, during, after: getEventListeners(task.signal, "abort").length };
    });
    await n[Symbol.asyncDispose]();
    expect(counts.during).toBe(counts.before + 1); // the server's nursery listens, once
    expect(counts.after).toBe(counts.before);
  });
});
