// One HTTP server for bench/http.mjs, run in its own process: `node server.mjs <impl> <mode> <json>`.
//   impl: bare (node:http alone, no shutdown handling) | nursery (@nursery/http under run()) |
//         http-terminator (its terminate() on SIGTERM) | close-with-grace (+ server.close())
//   mode: throughput (answers at once) | drain (holds each request `holdMs`, prints "ready" once
//         `inFlight` requests are held at the same time)
// Prints "listening <port>" once it listens. Every shutdown path gets the same bound (`boundMs`, 10 s).
import { createServer } from "node:http";

const [impl, mode, json = "{}"] = process.argv.slice(2);
const params = JSON.parse(json);
const BOUND = params.boundMs ?? 10_000;

let held = 0;
let ready = false;
const hold = params.holdMs ?? 500;
function handler(req, res) {
  if (req.url === "/__cpu") {
    // The bench reads this process's CPU time around each measurement: microseconds per request
    // are far less disturbed by other load on the machine than requests per second.
    res.end(JSON.stringify(process.cpuUsage()));
    return undefined;
  }
  if (mode === "throughput") {
    res.setHeader("content-type", "text/plain");
    res.end("hello world");
    return undefined;
  }
  // "ready" once `inFlight` requests are held at the same time: with one request per client
  // connection, every client then has one in flight.
  held += 1;
  if (held === params.inFlight && !ready) {
    ready = true;
    console.log("ready");
  }
  return new Promise((resolve) => {
    setTimeout(() => {
      held -= 1;
      res.setHeader("content-type", "text/plain");
      res.end("done");
      resolve();
    }, hold);
  });
}

function listen(server) {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      console.log(`listening ${server.address().port}`);
      resolve();
    });
  });
}

if (impl === "bare") {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  await listen(server);
} else if (impl === "nursery") {
  const { run } = await import("@nursery/core");
  const { serve } = await import("@nursery/http");
  await run(
    async (task) => {
      const server = createServer();
      server.keepAliveTimeout = 60_000;
      server.once("listening", () => console.log(`listening ${server.address().port}`));
      await serve(task, server, { listen: { port: 0, host: "127.0.0.1" }, grace: BOUND - 1000, cleanupTimeout: 500, handler });
    },
    { shutdownTimeout: BOUND + 1000 },
  );
} else if (impl === "http-terminator") {
  const { createHttpTerminator } = await import("http-terminator");
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  const terminator = createHttpTerminator({ server, gracefulTerminationTimeout: BOUND - 500 });
  await listen(server);
  // http-terminator has no signal handling: the usual wiring.
  process.once("SIGTERM", () => {
    terminator.terminate().then(() => process.exit(143), () => process.exit(1));
  });
} else if (impl === "close-with-grace") {
  const closeWithGrace = (await import("close-with-grace")).default;
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  await listen(server);
  closeWithGrace({ delay: BOUND }, async () => {
    await new Promise((resolve) => server.close(resolve));
  });
} else {
  throw new TypeError(`Unknown impl \`${impl}\``);
}
