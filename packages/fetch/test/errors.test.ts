import { describe, expect, it } from "@jest/globals";
import { isCancellation, nursery } from "@nursery/core";
import { EXCERPT_BYTES, fetch, HttpError, TaskEndedError } from "@nursery/fetch";
import { listeners, serverPerTest } from "./support/server.js";

const start = serverPerTest();

describe("HttpError", () => {
  it("is what throwHttpErrors rejects a non-2xx status with: status, URL, method, headers, excerpt and a stable code", async () => {
    const srv = await start(({ res }) => {
      res.writeHead(404, "Not Found", { "x-request-id": "r-1" });
      res.end("no such page");
    });
    let signal!: AbortSignal;
    const err = await nursery(async (n) =>
      n.spawn((task) => {
        signal = task.signal;
        return fetch(task, srv.url("/missing"), { method: "DELETE", throwHttpErrors: true }).catch((e: unknown) => e);
      }),
    );
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({
      name: "HttpError",
      code: "ERR_HTTP_STATUS",
      status: 404,
      statusText: "Not Found",
      method: "DELETE",
      url: srv.url("/missing"),
      excerpt: "no such page",
      truncated: false,
    });
    expect((err as HttpError).headers.get("x-request-id")).toBe("r-1");
    expect((err as Error).message).toBe(`DELETE ${srv.url("/missing")} responded 404 Not Found`);
    expect(isCancellation(err)).toBe(false);
    expect(listeners(signal)).toBe(0); // the request is over by the time the error is thrown
  });

  it("keeps a bounded excerpt of a long body and discards the rest", async () => {
    const srv = await start(({ res }) => {
      res.writeHead(500);
      res.write("e".repeat(EXCERPT_BYTES - 4));
      res.write("é✓abcdef"); // multi-byte characters straddle the cut
      res.write("x".repeat(1_000_000));
      // never ends: the excerpt must not wait for the whole body
    });
    const err = (await nursery(async (n) =>
      n.spawn((task) => fetch(task, srv.url(), { throwHttpErrors: true }).catch((e: unknown) => e)),
    )) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(500);
    expect(err.truncated).toBe(true);
    // Cut at a character boundary: "✓" (3 bytes) would cross EXCERPT_BYTES, so it is left out whole.
    expect(err.excerpt).toBe("e".repeat(EXCERPT_BYTES - 4) + "é");
    await srv.exchanges[0]!.socketClosed; // the rest of the body was not waited for
  });

  it("leaves 2xx responses alone under throwHttpErrors", async () => {
    const srv = await start(({ res }) => {
      res.statusCode = 204;
      res.end();
    });
    const status = await nursery(async (n) => n.spawn(async (task) => (await fetch(task, srv.url(), { throwHttpErrors: true })).status));
    expect(status).toBe(204);
  });

  it("is recognised by instanceof across copies of the package, through its brand", () => {
    const err = new HttpError({
      method: "GET",
      url: "http://example.com/",
      status: 502,
      statusText: "",
      headers: new Headers(),
      excerpt: "",
      truncated: false,
    });
    const foreign = Object.create(Object.getPrototypeOf(err) as object) as object; // same brand, another object
    expect(foreign instanceof HttpError).toBe(true);
    expect(new Error("x") instanceof HttpError).toBe(false);
    expect(err.message).toBe("GET http://example.com/ responded 502");
    expect(err instanceof TaskEndedError).toBe(false);
  });
});

describe("TaskEndedError", () => {
  it("says what was refused: a send before anything went out, or a body read; a body read by default", () => {
    const send = new TaskEndedError("GET", "http://example.com/a", "crawl", "send");
    expect(send).toMatchObject({ name: "TaskEndedError", code: "ERR_TASK_ENDED", phase: "send", method: "GET", url: "http://example.com/a", task: "crawl" });
    expect(send.message).toBe('cannot send GET http://example.com/a: task "crawl" has ended; fetch inside the task and await it there');
    expect(new TaskEndedError("POST", "http://example.com/b", undefined, "send").message).toBe(
      "cannot send POST http://example.com/b: the task that owns it has ended; fetch inside the task and await it there",
    );
    const read = new TaskEndedError("GET", "http://example.com/a", "crawl");
    expect(read.phase).toBe("read");
    expect(read.message).toBe('cannot read the body of GET http://example.com/a: task "crawl" has ended; read the body inside the task');
    expect(new TaskEndedError("GET", "http://example.com/a", undefined, "read").message).toBe(
      "cannot read the body of GET http://example.com/a: the task that fetched it has ended; read the body inside the task",
    );
    expect(isCancellation(send)).toBe(false);
    expect(send instanceof HttpError).toBe(false);
    const foreign = Object.create(Object.getPrototypeOf(send) as object) as object;
    expect(foreign instanceof TaskEndedError).toBe(true);
  });
});
