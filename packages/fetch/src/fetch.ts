// `fetch(task, input, init)`: the platform fetch, owned by a task. The request is aborted when the
// task is cancelled, its body can be read only while the task lives, and timeouts, retries and a
// concurrency limit are options of the call. Lifetime and resources of one call are kept by
// internal/operation.ts; the body binding by internal/body.ts; this module is the attempt loop.
//
// Attribution, the rule every rejection follows: once the operation is aborted, the call rejects
// with the operation's reason (the task's own CancelledError, `extraSignal`'s reason, or the
// deadline's TimeoutError, whichever came first), never with whatever undici made of it. Only an
// attempt's own `timeout` is reported as that attempt's TimeoutError, and only while the operation
// itself is not aborted: a cancelled task never sees a timeout.
//
// Lifetime: nothing is sent on behalf of an owner that has ended (its `state` is no longer
// "running"), and nothing a call holds outlives its task. The call checks `state` right after its
// arguments and the "already cancelled" checks, before the operation exists. Once it exists, the
// operation listens for the task's end through core's `onTaskEnd` (one reaction per task, shared
// by all its requests) and is aborted with TaskEndedError when the task returns or throws: a call
// the task did not await, still waiting for a limiter slot or sleeping through a backoff, rejects
// at once (phase "send"), and a response body nobody read gives back its slot and its connection
// (phase "read" for a later read). The attempt loop still checks `state` before and after each
// wait, for owners that carry a `state` but are not core tasks (a `{ signal, state }` object).
import { cancelReasonOf, realClock, TimeoutError, type Clock, type TaskState } from "@nursery/core";
import { sleep } from "@nursery/timers";
import type { Limiter } from "./limiter.js";
import type { RetryOptions } from "./retry.js";
import { TaskEndedError } from "./errors.js";
import { isAbortOf } from "./internal/abort-product.js";
import { bindResponse, toHttpError } from "./internal/body.js";
import { hasEnded, Operation } from "./internal/operation.js";
import { parseRetryAfter, retryPolicy, type RetryPolicy } from "./internal/retry-policy.js";
import {
  checkBoolean,
  checkOptionalClock,
  checkOptionalDuration,
  checkOptionalSignal,
  checkOptions,
  invalidArgument as invalid,
} from "@nursery/core/adapter";

/**
 * What owns a request: a task's context (the usual case), a `Nursery`, or any `{ signal }`, such as
 * the signal a `moveOnAfter` scope hands its function.
 */
export interface FetchTask {
  /** Aborting it aborts the request and its body. */
  readonly signal: AbortSignal;
  /** Source of time for `timeout`, `deadline` and retry backoff; a task passes its nursery's clock. */
  readonly clock?: Clock;
  /** Named in errors. */
  readonly name?: string;
  /**
   * When present and no longer `"running"`, the owner has ended: `fetch` rejects with
   * `TaskEndedError` instead of sending, and a response body is no longer readable. Core's tasks
   * carry it; without it, the owner lives as long as its signal.
   */
  readonly state?: TaskState;
}

/** The URL to fetch: an absolute `http:` or `https:` URL. */
export type FetchInput = string | URL;

/** What `fetch(task, ...)` adds to the platform's `RequestInit`. */
export interface FetchOptions {
  /**
   * A second signal that also aborts the request, e.g. a client disconnect. The request rejects
   * with its `reason`. Combined with one listener per request, not `AbortSignal.any`.
   */
  extraSignal?: AbortSignal;
  /**
   * Per attempt: ms from sending the request (after any wait for a limiter slot) until the response
   * headers arrive. When it passes, the attempt is aborted; it is retried if `retry` allows, else
   * the call rejects with core's `TimeoutError`. A number >= 0 or `Infinity` (default: none).
   */
  timeout?: number;
  /**
   * The whole operation: ms from the call until the response body has been read, including the
   * wait for a limiter slot, every attempt and every backoff. When it passes, the request and its
   * body are aborted with core's `TimeoutError`. A number >= 0 or `Infinity` (default: none).
   */
  deadline?: number;
  /** Retries: a count, or {@link RetryOptions}. Default: none. Idempotent methods only, by default. */
  retry?: number | RetryOptions;
  /** A concurrency limit shared with other requests; a slot is held until the body is done. */
  limiter?: Limiter;
  /** Reject with `HttpError` when the final status is outside 200-299. Default `false`: return it. */
  throwHttpErrors?: boolean;
  /** Source of time. Default: the task's `clock`, else `realClock`. */
  clock?: Clock;
}

/**
 * The init of `fetch(task, ...)`: the platform's `RequestInit` without `signal` (the task owns the
 * request's signal; pass another one as `extraSignal`), plus {@link FetchOptions}.
 */
export interface FetchInit extends Omit<RequestInit, "signal">, FetchOptions {
  /** Not accepted: the task owns the request's signal. Use `extraSignal` to add one. */
  signal?: never;
}

const OWN_KEYS = ["signal", "extraSignal", "timeout", "deadline", "retry", "limiter", "throwHttpErrors", "clock"] as const;

interface Prepared {
  /** The owner's cancellation reason when it is already cancelled. */
  readonly cancelled: unknown;
  /** What to reject with, sending nothing, when the owner has already ended. */
  readonly ended: TaskEndedError | undefined;
  readonly url: URL;
  readonly method: string;
  readonly requestInit: RequestInit;
  readonly extraSignal: AbortSignal | undefined;
  readonly timeout: number | undefined;
  readonly deadline: number | undefined;
  readonly retry: RetryPolicy;
  readonly limiter: Limiter | undefined;
  readonly throwHttpErrors: boolean;
  readonly clock: Clock;
}

const noop = (): void => {};

/**
 * Fetches `input` on behalf of `task`: the platform `fetch`, bound to the task's lifetime.
 *
 * Use it instead of the global `fetch` inside tasks. The request needs no `signal`: it is
 * aborted when the task is cancelled, and its response body can be read only while the task lives.
 *
 * - Success: resolves with the `Response` once headers arrive, whatever the status (unless
 *   `throwHttpErrors`). Read or cancel its body: the request, its limiter slot and its listener
 *   on the task's signal are released when the body is done.
 * - Errors: network failures reject like the platform `fetch` (a `TypeError`), after any retries;
 *   `timeout` and `deadline` reject with core's `TimeoutError`; `throwHttpErrors` rejects non-2xx
 *   statuses with `HttpError`.
 * - Lifetime: a task that has already returned (a context captured in a closure and used later)
 *   makes the call reject at once with `TaskEndedError` (`phase: "send"`), sending nothing; so
 *   does a call still waiting for a limiter slot or a retry backoff when its task returned, once
 *   that wait ends. Reading the body after the task returned rejects with `TaskEndedError`
 *   (`phase: "read"`).
 * - Cancellation: if the task's signal (or `extraSignal`) is already aborted, rejects at once with
 *   its `reason` and sends nothing. If it aborts later, the request is aborted (the server sees the
 *   connection close), no retry is made, and the call, or the body read in progress, rejects with
 *   `signal.reason` itself: for a task, its `CancelledError`, never a `TimeoutError`.
 * - Bad input: rejects with `TypeError` for a URL that is not absolute http(s), a `signal` in
 *   `init`, or an option of the wrong type or range.
 *
 * @example
 * ```ts
 * import { nursery } from "@nursery/core";
 * import { fetch, Limiter } from "@nursery/fetch";
 *
 * const limiter = new Limiter({ limit: 8, perHost: true });
 * await nursery(async (n) => {
 *   for (const url of urls) {
 *     n.spawn(async (task) => {
 *       const res = await fetch(task, url, { limiter, timeout: 10_000, retry: 3 });
 *       return res.json();
 *     });
 *   }
 * });
 * ```
 */
export function fetch(task: FetchTask, input: FetchInput, init?: FetchInit): Promise<Response> {
  let prepared: Prepared;
  try {
    prepared = prepare(task, input, init);
  } catch (err) {
    return Promise.reject(err);
  }
  if (prepared.cancelled !== undefined) return Promise.reject(prepared.cancelled);
  const extraSignal = prepared.extraSignal;
  if (extraSignal?.aborted) return Promise.reject(extraSignal.reason);
  if (prepared.ended !== undefined) return Promise.reject(prepared.ended);
  let op: Operation;
  try {
    const { method, url } = prepared;
    const notSent = (): TaskEndedError => new TaskEndedError(method, url.href, task.name, "send");
    op = new Operation(task, extraSignal, prepared.clock, prepared.deadline, `fetch ${method} ${url.href}`, notSent);
  } catch (err) {
    return Promise.reject(err); // the clock threw; the operation removed its listeners
  }
  return send(op, prepared).catch((err: unknown) => {
    op.finish();
    throw err;
  });
}

async function send(op: Operation, p: Prepared): Promise<Response> {
  for (let retry = 0; ; retry++) {
    // Before the wait for a slot, the owner may have ended during the backoff; after it, during the wait.
    if (op.stopIfEnded()) throw op.signal.reason;
    if (p.limiter !== undefined) {
      op.hold(await p.limiter.acquire({ signal: op.signal, host: p.url.host }));
      if (op.stopIfEnded()) throw op.signal.reason;
    }
    // A Request that cannot be built (a body on GET, a bad header) throws here and is not retried.
    const { attempt, request } = op.startAttempt(p.url, p.requestInit);
    const timeout = p.timeout;
    const timer =
      timeout === undefined || timeout === Infinity
        ? undefined
        : op.clock.setTimer(timeout, () => attempt.abort(new TimeoutError(timeout, `${op.label} (attempt ${retry + 1})`)));
    let response: Response;
    try {
      response = await globalThis.fetch(request);
      if (attempt.signal.aborted) {
        // Aborted as the headers arrived (by the operation or the timeout): count it as aborted.
        response.body?.cancel().catch(noop);
        throw attempt.signal.reason;
      }
    } catch (err) {
      // An abort's reason stands in only for what the abort caused: a real failure (a refused or
      // reset connection) that coincides with the abort is reported as itself, never retried.
      if (isAbortOf(err, op.signal)) throw op.signal.reason;
      if (op.signal.aborted) throw err;
      // Not the operation: the attempt's own timeout, or a failure on the way.
      const timedOut = isAbortOf(err, attempt.signal);
      const failure: unknown = timedOut ? attempt.signal.reason : err;
      op.releaseSlot();
      const retryable = timedOut || isNetworkError(err);
      const wait = retryable && retry < p.retry.limit ? p.retry.delay(retry + 1) : undefined;
      if (wait === undefined || !op.canWait(wait)) throw failure;
      await sleep(wait, { signal: op.signal, clock: op.clock });
      continue;
    } finally {
      if (timer !== undefined) op.clock.clearTimer(timer);
    }
    if (retry < p.retry.limit && p.retry.statusCodes.has(response.status)) {
      const after = parseRetryAfter(response.headers.get("retry-after"));
      const wait = after ?? p.retry.delay(retry + 1);
      if ((after === undefined || after <= p.retry.maxRetryAfter) && op.canWait(wait)) {
        await response.body?.cancel().catch(noop);
        op.releaseSlot();
        await sleep(wait, { signal: op.signal, clock: op.clock });
        continue;
      }
    }
    const bound = bindResponse(op, response, p.method);
    if (p.throwHttpErrors && !bound.ok) throw await toHttpError(bound, p.method);
    return bound;
  }
}

function prepare(task: FetchTask, input: FetchInput, init: FetchInit | undefined): Prepared {
  // Read through core, which does not create a task's AbortSignal just to look at it.
  let cancelled: unknown;
  try {
    cancelled = cancelReasonOf(task);
  } catch {
    throw invalid("task", "a task, a nursery or an object with an AbortSignal `signal`", task);
  }
  const url = parseUrl(input);
  checkOptions("init", init);
  const options: FetchInit = init ?? {};
  if (options.signal !== undefined) {
    throw invalid("init.signal", "absent (the task owns the request's signal; pass yours as `extraSignal`)", options.signal);
  }
  const extraSignal = checkOptionalSignal("extraSignal", options.extraSignal);
  const timeout = checkOptionalDuration("timeout", options.timeout);
  const deadline = checkOptionalDuration("deadline", options.deadline);
  // Duck-typed rather than `instanceof`, so a limiter from another installed copy still works.
  if (options.limiter !== undefined && typeof (options.limiter as Partial<Limiter> | null)?.acquire !== "function") {
    throw invalid("limiter", "a Limiter", options.limiter);
  }
  const throwHttpErrors = checkBoolean("throwHttpErrors", options.throwHttpErrors, false);
  const clock = checkOptionalClock("clock", options.clock) ?? checkOptionalClock("task.clock", task.clock) ?? realClock;
  if (options.method !== undefined && typeof options.method !== "string") {
    throw invalid("init.method", "a string", options.method);
  }
  const method = (options.method ?? "GET").toUpperCase();
  const ended = hasEnded(task) ? new TaskEndedError(method, url.href, task.name, "send") : undefined;
  const requestInit: Record<string, unknown> = { ...options };
  for (const key of OWN_KEYS) delete requestInit[key];
  const body: unknown = options.body;
  const replayable = !(
    body instanceof ReadableStream ||
    (typeof body === "object" && body !== null && Symbol.asyncIterator in body)
  );
  return {
    cancelled,
    ended,
    url,
    method,
    requestInit,
    extraSignal,
    timeout,
    deadline,
    retry: retryPolicy(options.retry, method, replayable),
    limiter: options.limiter,
    throwHttpErrors,
    clock,
  };
}

/**
 * undici reports failures on the wire as `TypeError("fetch failed")` whose `cause` carries a
 * system or undici error code (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET, ...). Failures of the
 * fetch algorithm itself ("unexpected redirect", "redirect count exceeded") have no code and would
 * fail the same way again. Matched by name: the error may come from another realm.
 */
function isNetworkError(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return (err as Error | null)?.name === "TypeError" && typeof cause?.code === "string";
}

function parseUrl(input: unknown): URL {
  let url: URL | undefined;
  if (input instanceof URL) url = new URL(input.href);
  else if (typeof input === "string" && URL.canParse(input)) url = new URL(input);
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw invalid("input", "an absolute http(s) URL", input);
  }
  return url;
}
