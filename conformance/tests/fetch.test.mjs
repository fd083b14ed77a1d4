// @nursery/fetch over the runtime's own fetch, against a loopback HTTP server (node:http on
// 127.0.0.1, port 0) started by each test and closed after it.
import { createServer } from "node:http";
import { nursery, CancelledError, TimeoutError } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { fetch, HttpError } from "@nursery/fetch";
import { test, assert, eventLog } from "../harness.mjs";

/** Starts a loopback server with `handler`; closes it (and its sockets) when the test ends. */
async function serve(defer, handler) {
  const server = createServer(handler);
  const sockets = new Set();
  server.on("connection", (socket) => (sockets.add(socket), socket.on("close", () => sockets.delete(socket))));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  defer(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${server.address().port}`;
}

test("fetch: a task's request returns the response and its body is read inside the task", async ({ defer }) => {
  const url = await serve(defer, (req, res) => res.end(`hello ${req.method} ${req.url}`));
  const text = await nursery(async (n) => n.spawn(async (task) => (await fetch(task, `${url}/page`)).text()));
  assert.equal(text, "hello GET /page");
});

test("fetch: cancelling the task mid-body aborts the request and the server sees the socket close", async ({ defer }) => {
  const server = eventLog();
  const url = await serve(defer, (req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("first chunk\n");
    server.push("wrote first chunk");
    res.on("close", () => server.push(res.writableEnded ? "finished" : "closed before the end"));
  });
  let seen;
  await nursery(async (n) => {
    n.spawn(async (task) => {
      const res = await fetch(task, url);
      const reader = res.body.getReader();
      await reader.read(); // the first chunk arrived: the body is mid-way
      n.cancel("user left");
      seen = await reader.read().catch((e) => e);
    }, { name: "download" });
  });
  assert.ok(seen instanceof CancelledError, `read rejected with ${seen}`);
  assert.equal(seen.reason.source, "explicit");
  assert.deepEqual(await server.until((log) => log.length === 2), ["wrote first chunk", "closed before the end"]);
});

test("fetch: the timeout option rejects with TimeoutError while the server has not answered", async ({ defer }) => {
  const server = eventLog();
  const url = await serve(defer, () => server.push("request arrived")); // never answers
  const clock = new VirtualClock();
  const pending = fetch({ signal: new AbortController().signal }, url, { timeout: 5_000, clock }).catch((e) => e);
  await server.until((log) => log.includes("request arrived"));
  await clock.advance(5_000);
  const err = await pending;
  assert.ok(err instanceof TimeoutError, `rejected with ${err}`);
});

test("fetch: throwHttpErrors turns a 404 into HttpError with status and url", async ({ defer }) => {
  const url = await serve(defer, (req, res) => {
    res.statusCode = 404;
    res.end("no such page");
  });
  const err = await fetch({ signal: new AbortController().signal }, `${url}/missing`, { throwHttpErrors: true }).catch((e) => e);
  assert.ok(err instanceof HttpError, `rejected with ${err}`);
  assert.equal(err.code, "ERR_HTTP_STATUS");
  assert.equal(err.status, 404);
  assert.equal(err.url, `${url}/missing`);
});

test("fetch: a task cancelled before the call sends nothing", async ({ defer }) => {
  const server = eventLog();
  const url = await serve(defer, (req, res) => (server.push("request"), res.end()));
  const controller = new AbortController();
  controller.abort(new Error("already gone"));
  const err = await fetch({ signal: controller.signal }, url).catch((e) => e);
  assert.equal(err.message, "already gone");
  // One real request after it: if the first had been sent, the server would log two.
  await fetch({ signal: new AbortController().signal }, url);
  assert.deepEqual(server.entries, ["request"]);
});
