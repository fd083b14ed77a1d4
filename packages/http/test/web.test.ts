import { describe, expect, it } from "@jest/globals";
import http from "node:http";
import net from "node:net";
import { isCancellation } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { webHandler } from "@nursery/http";
import { deferred, get, startServing, type Reply } from "./support/harness.js";

describe("webHandler", () => {
  it("hands the handler a Request (method, URL, headers, body) and writes its Response (status, headers, cookies)", async () => {
    const served = await startServing({
      handler: webHandler(async (request, task) => {
        const body = await request.text();
        const headers = new Headers({ "x-task": task.name });
        headers.append("set-cookie", "a=1");
        headers.append("set-cookie", "b=2");
        return new Response(`${request.method} ${new URL(request.url).pathname} ${request.headers.get("x-in")} ${body}`, { status: 201, headers });
      }),
    });
    const r = (await get(`${served.url}/echo?q=1`, { method: "POST", headers: { "x-in": "hi" }, body: "payload" })) as Reply;
    expect([r.status, r.body, r.headers["x-task"], r.headers["set-cookie"]]).toEqual([201, "POST /echo hi payload", "POST /echo?q=1", ["a=1", "b=2"]]);
  });

  it("streams the Response body, and a client that leaves cancels the stream and aborts the Request's signal", async () => {
    const cancelled = deferred<unknown>();
    const aborted = deferred<boolean>();
    const served = await startServing({
      handler: webHandler((request) => {
        request.signal.addEventListener("abort", () => aborted.resolve(isCancellation(request.signal.reason)));
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("first chunk\n"));
          },
          cancel(reason) {
            cancelled.resolve(reason);
          },
        });
        return new Response(stream);
      }),
    });
    const firstChunk = deferred<string>();
    const client = http.get(`${served.url}/stream`, (res) => res.once("data", (chunk: Buffer) => firstChunk.resolve(chunk.toString())));
    client.on("error", () => undefined);
    expect(await firstChunk.promise).toBe("first chunk\n");
    client.destroy();
    expect(isCancellation(await cancelled.promise)).toBe(true);
    expect(await aborted.promise).toBe(true);
  });

  it("answers 500 when the handler returns something other than a Response", async () => {
    const reported: unknown[] = [];
    const served = await startServing({
      onError: (error) => reported.push(error),
      handler: webHandler((() => "not a response") as unknown as Parameters<typeof webHandler>[0]),
    });
    expect(((await get(`${served.url}/`)) as Reply).status).toBe(500);
    expect(String(reported[0])).toBe("TypeError: Expected `the handler's result` to be a Response, got `\"not a response\"` (string)");
  });
});

describe("webHandler at the edges", () => {
  /** Sends raw bytes on one connection and resolves with everything the server sent until it closed. */
  function raw(url: string, text: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect(Number(new URL(url).port), "127.0.0.1");
      let data = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (data += chunk));
      socket.on("close", () => resolve(data));
      socket.on("error", () => undefined);
      socket.end(text);
    });
  }
  const urlEcho = webHandler((request) => new Response(request.url));

  it("regression: a request target starting with // is a path on the Host's origin, not another host", async () => {
    const served = await startServing({ handler: urlEcho });
    const text = await raw(served.url, "GET //evil.example/x?q=1 HTTP/1.1\r\nHost: good.example\r\nConnection: close\r\n\r\n");
    expect(text).toMatch(/\r\n\r\n[0-9a-f]+\r\nhttp:\/\/good\.example\/\/evil\.example\/x\?q=1\r\n/);
  });

  it("takes only the origin of a Host header with a path or a query", async () => {
    const served = await startServing({ handler: urlEcho });
    const text = await raw(served.url, "GET /real HTTP/1.1\r\nHost: good.example/fake?\r\nConnection: close\r\n\r\n");
    expect(text).toMatch(/\r\n\r\n[0-9a-f]+\r\nhttp:\/\/good\.example\/real\r\n/);
  });

  it("regression: answers 501 to a method the web's Request refuses (TRACE), without calling the handler or reporting an error", async () => {
    const reported: unknown[] = [];
    let called = false;
    const served = await startServing({
      onError: (error) => reported.push(error),
      handler: webHandler(() => {
        called = true;
        return new Response("no");
      }),
    });
    const reply = (await get(`${served.url}/`, { method: "TRACE" })) as Reply;
    expect([reply.status, called, reported]).toEqual([501, false, []]);
  });

  it("regression: a streamed body cancelled when the grace ends cuts the response instead of ending it as if complete", async () => {
    const clock = new VirtualClock();
    const served = await startServing(
      {
        grace: 1000,
        handler: webHandler(
          () =>
            new Response(
              new ReadableStream<Uint8Array>({
                start(controller) {
                  controller.enqueue(new TextEncoder().encode("first chunk\n"));
                },
                // No more chunks until it is cancelled: a body still being produced at shutdown.
              }),
            ),
        ),
      },
      { clock },
    );
    const firstChunk = deferred();
    const outcome = new Promise<string>((resolve) => {
      const req = http.get(`${served.url}/stream`, (res) => {
        res.once("data", () => firstChunk.resolve());
        res.on("end", () => resolve("complete"));
        res.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
      req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    await firstChunk.promise;
    served.shutdown();
    await served.reached("closing");
    await clock.advance(1000);
    expect(await outcome).toBe("ECONNRESET");
    await served.done;
    expect(served.phases.map(([phase]) => phase)).toEqual(["draining", "closing", "cancelling"]);
  });

  it("regression: a client that stopped reading does not hold a cancelled request until the budget ends", async () => {
    const clock = new VirtualClock();
    const responses: http.ServerResponse[] = [];
    const body = webHandler(() => new Response(new Uint8Array(32 * 1024 * 1024))); // more than the loopback buffers hold
    const served = await startServing(
      {
        grace: 1000,
        cleanupTimeout: 60_000,
        handler: (req, res, task) => {
          responses.push(res);
          return body(req, res, task);
        },
      },
      { clock },
    );
    const started = deferred();
    const req = http.get(`${served.url}/big`, (res) => {
      res.pause(); // reads nothing more
      started.resolve();
    });
    req.on("error", () => undefined);
    await started.promise;
    expect(responses[0]?.writableNeedDrain).toBe(true); // the body waits for the client
    served.shutdown();
    await served.reached("closing");
    await clock.advance(1000);
    await served.done; // without reaching the end of the budget (60 s more on the virtual clock)
    expect(served.phases.map(([phase]) => phase)).toEqual(["draining", "closing", "cancelling"]);
    req.destroy();
  });
});
