// The `retry` option of fetch: which requests may be sent again, and how long to wait in between.
// The wait itself is `sleep()` from @nursery/timers on the request's signal (see fetch.ts), so a
// retrying request is cancelled with its task and follows a virtual clock in tests.
import { checkCount, invalidArgument as invalid } from "@nursery/core/adapter";

/** Options of `fetch(..., { retry })`. A bare number `n` means `{ limit: n }`. */
export interface RetryOptions {
  /** How many times a request may be sent again after its first attempt. An integer >= 0. */
  limit: number;
  /**
   * Methods that may be retried. Default {@link DEFAULT_RETRY_METHODS}: the idempotent ones. Add
   * `"POST"` only when the server deduplicates (an idempotency key).
   */
  methods?: readonly string[];
  /** Response statuses that are retried. Default {@link DEFAULT_RETRY_STATUS_CODES}. */
  statusCodes?: readonly number[];
  /**
   * Backoff before retry number `retry` (1 for the first retry), in ms. Default: exponential with
   * jitter, see {@link backoffDelay}. Not used when the response carries `Retry-After`.
   */
  delay?: (retry: number) => number;
  /**
   * The longest `Retry-After` honoured, in ms. A response asking for a longer wait is not retried:
   * it is returned (or thrown as `HttpError`). Default 60 000.
   */
  maxRetryAfter?: number;
}

/** Methods retried by default: those RFC 9110 defines as idempotent. */
export const DEFAULT_RETRY_METHODS: readonly string[] = Object.freeze(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/** Statuses retried by default: timeouts, rate limits, and transient server or gateway failures. */
export const DEFAULT_RETRY_STATUS_CODES: readonly number[] = Object.freeze([408, 429, 500, 502, 503, 504]);

/**
 * The default backoff: exponential from 300 ms, doubling per retry, capped at 30 s, with "equal
 * jitter" (a random point in the upper half of the interval), so many clients that failed together
 * do not retry together, and no retry comes sooner than half its step.
 *
 * Bad input: `TypeError` for a `retry` that is not an integer >= 1 (or `Infinity`), or a `random`
 * that is not a function returning a number from 0 to 1.
 *
 * @example
 * ```ts
 * backoffDelay(1); // 150..300 ms
 * backoffDelay(3); // 600..1200 ms
 * ```
 */
export function backoffDelay(retry: number, random: () => number = Math.random): number {
  checkCount("retry", retry, 1, true);
  if (typeof random !== "function") throw invalid("random", "a function", random);
  const step = Math.min(30_000, 300 * 2 ** (retry - 1));
  const r: unknown = random();
  if (typeof r !== "number" || !(r >= 0 && r <= 1)) throw invalid("random()", "a number from 0 to 1", r);
  return step / 2 + (r * step) / 2;
}
