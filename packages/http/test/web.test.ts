import { describe, expect, it } from "@jest/globals";
import http from "node:http";
import { isCancellation } from "@nursery/core";
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
