// The same slice for Effect v4 with per-module imports (its tree-shakable form): forEach with
// unbounded concurrency forks one fiber per URL, tryPromise hands fetch the fiber's AbortSignal,
// Effect.timeout sets the deadline.
import * as Effect from "effect/Effect";

export function fetchAll(urls, ms) {
  return Effect.runPromise(
    Effect.forEach(
      urls,
      (url) =>
        Effect.tryPromise((signal) => fetch(url, { signal }).then((response) => response.text())).pipe(
          Effect.timeout(ms),
        ),
      { concurrency: "unbounded" },
    ),
  );
}
