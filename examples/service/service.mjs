// A small service with today's forms of issue 17: every operation takes its owner first, and nothing
// is linked by hand. POST /jobs?item=x asks an upstream for the item's price and queues it; a worker
// drains the queue; a heartbeat prints every HEARTBEAT ms. On SIGTERM: stop accepting, let requests
// in flight finish, stop the heartbeat, drain the queue, exit 143.
//
// Usage: UPSTREAM=http://127.0.0.1:9000 PORT=8080 node examples/service/service.mjs
import { createServer } from "node:http";
import { nursery, run } from "@nursery/core";
import { fetch } from "@nursery/fetch";
import { serve } from "@nursery/http";
import { channel } from "@nursery/streams";
import { interval } from "@nursery/timers";

const { UPSTREAM = "http://127.0.0.1:9000", PORT = "8080", HEARTBEAT = "5000" } = process.env;
const queue = channel(100);

async function handler(req, res, task) {
  const item = new URL(req.url ?? "/", "http://x").searchParams.get("item") ?? "none";
  const price = await fetch(task, `${UPSTREAM}/price?item=${item}`).then((r) => r.text());
  await queue.send(task, { item, price });
  res.end(`queued ${item} at ${price}\n`);
}

// The oldest task, so cancelled last: by then the server has closed the queue, and it drains it.
async function worker() {
  for await (const job of queue) console.log(`worker: ${job.item} costs ${job.price}`);
  console.log("worker: queue drained");
}

async function http(task) {
  try {
    await serve(task, createServer(), { listen: { port: Number(PORT), host: "127.0.0.1" }, handler });
  } finally {
    queue.close();
    console.log("http: closed");
  }
}

async function heartbeat(task) {
  try {
    for await (const tick of interval(task, Number(HEARTBEAT))) console.log(`heartbeat ${tick.index}`);
  } finally {
    console.log("heartbeat: stopped");
  }
}

await run(async (main) => {
  await nursery(main, async (n) => {
    n.spawn(worker, { name: "worker" });
    const url = await n.start(main, http, { name: "http" });
    n.spawn(heartbeat, { name: "heartbeat" });
    console.log(`listening on ${url}`);
  });
});
