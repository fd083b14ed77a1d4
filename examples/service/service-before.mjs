// The same service as service.mjs, written with the forms before issue 17: cancellation passed as
// `{ signal }` options or as the last argument, and every nested nursery and start() linked by hand.
// Kept to compare the two (the README gives both line counts); it runs the same way.
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
  await queue.send({ item, price }, { signal: task.signal });
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
    for await (const tick of interval(Number(HEARTBEAT), { signal: task.signal, clock: task.clock })) {
      console.log(`heartbeat ${tick.index}`);
    }
  } finally {
    console.log("heartbeat: stopped");
  }
}

await run(async (main) => {
  await nursery(
    async (n) => {
      n.spawn(worker, { name: "worker" });
      const url = await n.start(http, { name: "http", signal: main.signal });
      n.spawn(heartbeat, { name: "heartbeat" });
      console.log(`listening on ${url}`);
    },
    { signal: main.signal },
  );
});
