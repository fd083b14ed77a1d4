// As effect.mjs, but importing from the "effect" barrel, the form most of Effect's docs show.
import { Effect } from "effect";

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
