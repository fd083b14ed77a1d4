// Graceful HTTP shutdown with @nursery/http: on SIGTERM (or Ctrl+C) stop accepting connections, let
// the requests in flight finish within a grace period, cancel whatever is left (answered 503),
// close every socket, exit 143 (130).
//
//   run()                          SIGTERM -> cancels "app", newest task first
//   └─ app (nursery)
//      ├─ http                     serve(): the server; on cancel it drains
//      │  └─ http (nursery)
//      │     └─ requests (nursery) one task per request, cancelled only when the grace ends
//      └─ stats                    prints a line every few seconds; newest, so stopped first
//
// Usage: node examples/graceful-http-server/server.mjs    (PORT, DRAIN_TIMEOUT, SHUTDOWN_TIMEOUT in the environment)
//   curl http://127.0.0.1:8080/                   -> hello
//   curl http://127.0.0.1:8080/slow?ms=5000       -> answers after 5 s, even if SIGTERM comes meanwhile
//   curl -T big.file http://127.0.0.1:8080/upload -> counts the bytes of an upload
//   curl http://127.0.0.1:8080/readyz             -> 200, then 503 once shutdown started
import { createServer } from "node:http";
import { nursery, run } from "@nursery/core";
import { serve } from "@nursery/http";
import { iterate } from "@nursery/streams";
import { interval, sleep } from "@nursery/timers";

const PORT = Number(process.env.PORT ?? 8080);
const DRAIN_TIMEOUT = Number(process.env.DRAIN_TIMEOUT ?? 5_000); // grace for the requests in flight
const SHUTDOWN_TIMEOUT = Number(process.env.SHUTDOWN_TIMEOUT ?? 10_000); // for everything; keep it under the orchestrator's grace period

const say = (line) => console.log(line);

/** One request, as a task: `task.signal` aborts if the client leaves or the grace ends first. */
async function respond(req, res, task) {
  // Printed once the response is over: 503 when the grace ended first (serve() answers it).
  res.on("close", () => say(`${task.name}: ${res.headersSent ? res.statusCode : "no response"}`));
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

/** The server task: serve() listens, runs each request as a task, and drains on cancellation. */
async function http(task) {
  try {
    await serve(task, createServer(), {
      listen: { port: PORT, host: "127.0.0.1" },
      readiness: "/readyz",
      liveness: "/livez",
      grace: DRAIN_TIMEOUT,
      handler: respond,
      onShutdown: (phase, inFlight) => {
        if (phase === "closing") say(`http: stopped accepting, draining ${inFlight} request(s)`);
      },
    });
  } finally {
    say("http: closed");
  }
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
        // serve() calls task.started(url) once it listens.
        const url = await n.start(http, { name: "http" });
        n.spawn(stats, { name: "stats" });
        say(`listening on ${url}`);
      },
      { name: "app", signal: main.signal },
    );
  },
  { shutdownTimeout: SHUTDOWN_TIMEOUT },
);
