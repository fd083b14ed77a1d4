// The same slice for effection v4: run + spawn, a timeout as race() against sleep() (the recipe
// in effection's guide; core has no timeout operation), fetch bound to the task through
// useAbortSignal().
import { race, run, sleep, spawn, until, useAbortSignal } from "effection";

function* timeout(ms, operation) {
  return yield* race([
    operation,
    (function* () {
      yield* sleep(ms);
      throw new Error(`timed out after ${ms} ms`);
    })(),
  ]);
}

function* get(url) {
  const signal = yield* useAbortSignal();
  const response = yield* until(fetch(url, { signal }));
  return yield* until(response.text());
}

export function fetchAll(urls, ms) {
  return run(function* () {
    const tasks = [];
    for (const url of urls) tasks.push(yield* spawn(() => timeout(ms, get(url))));
    const bodies = [];
    for (const task of tasks) bodies.push(yield* task);
    return bodies;
  });
}
