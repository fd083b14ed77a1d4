const t0 = performance.now();
const ms = () => (performance.now() - t0).toFixed(0);
import { nursery, run } from "@nursery/core";
setTimeout(() => { console.log("emit at", ms(), process.listenerCount("SIGINT")); process.emit("SIGINT", "SIGINT"); }, 100);
await run(async (main) => {
  console.log("main at", ms());
  const r = await nursery(async (n) => {
    const t = n.spawn(async (task) => { await new Promise((_, rej) => task.signal.addEventListener("abort", () => rej(task.signal.reason))); });
    console.log("ready at", ms());
    await Promise.all([t]);
    return "body value";
  }, { name: "crawler", signal: main.signal });
  console.log("nursery resolved with", r);
}, { exit: false }).then((code) => console.log("code", code, ms()));
