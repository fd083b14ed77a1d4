// The realistic slice for nursery: fetch every URL concurrently, each with its own deadline,
// all cancelled together if one fails. Platform fetch with the deadline's signal.
import { failAfter, nursery } from "@nursery/core";

export function fetchAll(urls, ms) {
  return nursery((n) => {
    const tasks = urls.map((url) =>
      n.spawn((task) =>
        failAfter(ms, async (signal) => (await fetch(url, { signal })).text(), { signal: task.signal }),
      ),
    );
    return Promise.all(tasks);
  });
}
