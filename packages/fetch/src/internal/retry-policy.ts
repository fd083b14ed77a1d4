// The checked, per-request form of the `retry` option, and `Retry-After` parsing. Decides only;
// fetch.ts does the waiting.
import { backoffDelay, DEFAULT_RETRY_METHODS, DEFAULT_RETRY_STATUS_CODES, type RetryOptions } from "../retry.js";
import { checkCount, checkOptionalDuration, describeValue as describe, invalidArgument as invalid } from "@nursery/core/adapter";

/**
 * Parses a `Retry-After` header (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.
 * Returns the wait in ms, or `undefined` when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The checked form of `retry` for one request. */
export interface RetryPolicy {
  /** Retries allowed for this request: 0 when its method or body rules retrying out. */
  readonly limit: number;
  readonly statusCodes: ReadonlySet<number>;
  readonly delay: (retry: number) => number;
  readonly maxRetryAfter: number;
}

const NO_RETRY: RetryPolicy = { limit: 0, statusCodes: new Set(), delay: backoffDelay, maxRetryAfter: 0 };

/**
 * Checks the `retry` option (throwing the house `TypeError`) and applies it to one request.
 * `replayable` is false for a one-shot body (a stream), which cannot be sent twice.
 */
export function retryPolicy(value: unknown, method: string, replayable: boolean): RetryPolicy {
  if (value === undefined) return NO_RETRY;
  const options: RetryOptions = typeof value === "number" ? { limit: value } : (value as RetryOptions);
  if (typeof value !== "number" && (typeof value !== "object" || value === null)) {
    throw invalid("retry", "an integer >= 0 or an options object", value);
  }
  const limit = checkCount(typeof value === "number" ? "retry" : "retry.limit", options.limit, 0);
  const methods = checkList("retry.methods", options.methods, "an array of method names", (m) => typeof m === "string");
  const statusCodes = checkList("retry.statusCodes", options.statusCodes, "an array of HTTP statuses", (s) =>
    Number.isInteger(s) && (s as number) >= 100 && (s as number) <= 599,
  );
  if (options.delay !== undefined && typeof options.delay !== "function") {
    throw invalid("retry.delay", "a function", options.delay);
  }
  const maxRetryAfter = checkOptionalDuration("retry.maxRetryAfter", options.maxRetryAfter) ?? 60_000;
  const allowed = (methods ?? DEFAULT_RETRY_METHODS).map((m) => (m as string).toUpperCase());
  if (limit === 0 || !replayable || !allowed.includes(method)) return NO_RETRY;
  const delay = options.delay;
  return {
    limit,
    statusCodes: new Set((statusCodes ?? DEFAULT_RETRY_STATUS_CODES) as number[]),
    delay: delay === undefined ? backoffDelay : (retry) => checkDelay(delay(retry)),
    maxRetryAfter,
  };
}

function checkList(name: string, value: unknown, expected: string, ok: (item: unknown) => boolean): unknown[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every(ok)) throw invalid(name, expected, value);
  return value as unknown[];
}

function checkDelay(ms: unknown): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new TypeError(`Expected \`retry.delay()\` to return a finite number >= 0, got ${describe(ms)}`);
  }
  return ms;
}
