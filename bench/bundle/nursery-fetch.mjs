// The slice with @nursery/fetch instead of the platform fetch: the request is bound to the task
// and `timeout` is its per-attempt deadline (the package also carries retries and a limiter,
// which esbuild cannot drop since fetch() references them).
import { nursery } from "@nursery/core";
import { fetch } from "@nursery/fetch";

export function fetchAll(urls, ms) {
  return nursery((n) => {
    const tasks = urls.map((url) => n.spawn(async (task) => (await fetch(task, url, { timeout: ms })).text()));
    return Promise.all(tasks);
  });
}
