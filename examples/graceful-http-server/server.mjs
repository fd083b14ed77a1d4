// Graceful HTTP shutdown: on SIGTERM (or Ctrl+C) stop accepting connections, let the requests in
// flight finish within a drain deadline, cancel whatever is left, close the sockets, exit 143 (130).
//
//   run()                        SIGTERM -> cancels "app", newest task first
//   └─ app (nursery)
//      ├─ http                   the server; on cancel: refuse new connections, drain, close
//      │  └─ requests (nursery)  one task per request, cancelled only when the drain deadline passes
//      └─ stats                  prints a line every few seconds; newest, so stopped first
//
// Usage: node examples/graceful-http-server/server.mjs    (PORT, DRAIN_TIMEOUT, SHUTDOWN_TIMEOUT in the environment)
//   curl http://127.0.0.1:8080/                   -> hello
//   curl http://127.0.0.1:8080/slow?ms=5000       -> answers after 5 s, even if SIGTERM comes meanwhile
//   curl -T big.file http://127.0.0.1:8080/upload -> counts the bytes of an upload
import { once } from "node:events";
import { createServer } from "node:http";
import { isCancellation, nursery, run } from "@nursery/core";
import { iterate } from "@nursery/streams";
import { interval, sleep } from "@nursery/timers";

const PORT = Number(process.env.PORT ?? 8080);
const DRAIN_TIMEOUT = Number(process.env.DRAIN_TIMEOUT ?? 5_000); // for the requests in flight
const SHUTDOWN_TIMEOUT = Number(process.env.SHUTDOWN_TIMEOUT ?? 10_000); // for everything; keep it under the orchestrator's grace period

const say = (line) => console.log(line);

/** Resolves (never rejects) when `signal` aborts: for code that must go on to clean up. */
function whenAborted(signal) {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** One request, as a task: `task.signal` aborts only if the drain deadline passes first. */
async function handle(req, res, task) {
  try {
    await respond(req, res, task);
  } catch (err) {
    // Cut off by the drain deadline: tell the client, if the response has not started yet.
    if (isCancellation(err) && !res.headersSent) res.writeHead(503, { connection: "close" }).end("shutting down\n");
    throw err; // a cancellation is absorbed by the nursery; any other error is reported
  } finally {
    say(`${task.name}: ${res.headersSent ? res.statusCode : "no response"}`);
  }
}

async function respond(req, res, task) {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (req.method === "GET" && url.pathname === "/") {
    res.end("hello\n");
  } else if (req.method === "GET" && url.pathname === "/slow") {
    const ms = Math.min(Number(url.searchParams.get("ms") ?? 1_000), 60_000);
    say(`${task.name}: waiting ${ms} ms`);
    await sleep(ms, task); // cancelled with the task: the request is then cut off
    res.end(`done after ${ms} ms\n`);
  } else if (req.method === "POST" || req.method === "PUT") {
    say(`${task.name}: receiving`);
    let bytes = 0;
    // iterate() ends the loop at once when the task is cancelled and destroys the request stream.
    for await (const chunk of iterate(req, { signal: task.signal })) bytes += chunk.length;
    res.end(`received ${bytes} bytes\n`);
  } else {
    res.writeHead(404).end("not found\n");
  }
}

/** The server task: listens, hands each request to a task, and drains on cancellation. */
async function serve(task) {
  const server = createServer();
  let drainTimer;
  await nursery(
    async (requests) => {
      server.on("request", (req, res) => {
        requests.spawn((t) => handle(req, res, t), { name: `${req.method} ${req.url}` });
      });
      server.listen(PORT, "127.0.0.1");
      await once(server, "listening");
      task.started(`http://127.0.0.1:${server.address().port}`);

      await whenAborted(task.signal); // until shutdown
      server.close(); // refuse new connections; idle keep-alive sockets are closed too
      server.closeIdleConnections();
      say(`http: stopped accepting, draining ${requests.children.length} request(s)`);
      // Returning from the body makes the nursery wait for the requests in flight. Past the
      // deadline, the ones still running are cancelled (their signals abort).
      drainTimer = setTimeout(() => requests.cancel("drain deadline passed"), DRAIN_TIMEOUT);
    },
    { name: "requests" }, // not linked to task.signal: requests drain rather than stop at once
  );
  clearTimeout(drainTimer);
  server.closeAllConnections(); // keep-alive sockets that outlived their last request
  say("http: closed");
}

/** A background job, to show the order: it was started last, so it is stopped first. */
async function stats(task) {
  try {
    for await (const tick of interval(5_000, task)) say(`stats: up ${tick.index * 5} s`);
  } finally {
    say("stats: stopped");
  }
}

await run(
  async (main) => {
    await nursery(
      async (n) => {
        const url = await n.start(serve, { name: "http" });
        n.spawn(stats, { name: "stats" });
        say(`listening on ${url}`);
      },
      { name: "app", signal: main.signal },
    );
  },
  { shutdownTimeout: SHUTDOWN_TIMEOUT },
);
