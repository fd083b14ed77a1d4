// The errors of @nursery/fetch. Each has a stable `code` and a `name`, and `instanceof` recognises
// errors made by another installed copy of this package: core's `defineErrorClass` brands each
// class with its code under a registry symbol (`Symbol.for`), the mechanism core's errors use too.
import { defineErrorClass } from "@nursery/core/adapter";

/** The most bytes of a response body that {@link HttpError.excerpt} keeps. */
export const EXCERPT_BYTES = 1024;

/** What {@link HttpError} is built from. */
export interface HttpErrorInit {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly excerpt: string;
  readonly truncated: boolean;
}

/**
 * The server answered with a status outside 200-299, and the request asked for that to be an
 * error with `throwHttpErrors: true`. Without that option `fetch` returns such responses, as the
 * platform `fetch` does.
 *
 * Carries what a log line or a retry decision needs, without holding the connection: the status,
 * the URL, the response headers and the first {@link EXCERPT_BYTES} bytes of the body decoded as
 * UTF-8 (the rest is discarded, so the socket is free by the time this is thrown). Check it with
 * `err instanceof HttpError` or `err.code === "ERR_HTTP_STATUS"`.
 *
 * @example
 * ```ts
 * try {
 *   await fetch(task, url, { throwHttpErrors: true });
 * } catch (err) {
 *   if (err instanceof HttpError && err.status === 404) return undefined;
 *   throw err;
 * }
 * ```
 */
export class HttpError extends Error {
  /** Always `"ERR_HTTP_STATUS"`. */
  readonly code = "ERR_HTTP_STATUS" as const;
  /** The request method, e.g. `"GET"`. */
  readonly method: string;
  /** The URL of the response (after redirects). */
  readonly url: string;
  /** The HTTP status, e.g. `503`. */
  readonly status: number;
  /** The status text the server sent, e.g. `"Service Unavailable"` (may be empty). */
  readonly statusText: string;
  /** The response headers. */
  readonly headers: Headers;
  /** The start of the body, at most {@link EXCERPT_BYTES} bytes, decoded as UTF-8. */
  readonly excerpt: string;
  /** True when the body was longer than the excerpt. */
  readonly truncated: boolean;

  constructor(init: HttpErrorInit) {
    const text = init.statusText === "" ? "" : ` ${init.statusText}`;
    super(`${init.method} ${init.url} responded ${init.status}${text}`);
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.statusText = init.statusText;
    this.headers = init.headers;
    this.excerpt = init.excerpt;
    this.truncated = init.truncated;
  }
}
defineErrorClass(HttpError, { scope: "@nursery/fetch", name: "HttpError", code: "ERR_HTTP_STATUS" });

/**
 * A request or its response body outlived the task that owns it. A request lives only as long as
 * its task: once the task has returned, nothing more is sent and no more of the body is read. Two
 * cases, told apart by {@link TaskEndedError.phase}:
 *
 * - `"send"`: `fetch(task, ...)` was called with a task that had already returned (a task context
 *   captured in a closure and used later), or a call the task did not await was still waiting for
 *   a limiter slot or a retry backoff when it returned. Nothing was sent: the server never saw the
 *   request (or the retry), and no slot, timer or listener is kept. Fetch inside the task, and
 *   await the call there.
 * - `"read"`: the response body was read after the task returned. The request was sent; it is
 *   aborted now. Read (or cancel) the body inside the task, and return the data rather than the
 *   `Response`.
 *
 * Not a cancellation (`isCancellation()` is false): it points at a bug in the caller. A task that
 * was *cancelled* rejects with its own `CancelledError` instead, in both cases.
 *
 * @example
 * ```ts
 * // Wrong: the body outlives the task.
 * const res = await n.spawn((task) => fetch(task, url));
 * await res.text(); // rejects with TaskEndedError, phase "read"
 * // Wrong: the task's context outlives the task.
 * let saved!: TaskContext;
 * await n.spawn((task) => void (saved = task));
 * await fetch(saved, url); // rejects with TaskEndedError, phase "send": nothing is sent
 * // Right: fetch and read inside.
 * const text = await n.spawn(async (task) => (await fetch(task, url)).text());
 * ```
 */
export class TaskEndedError extends Error {
  /** Always `"ERR_TASK_ENDED"`. */
  readonly code = "ERR_TASK_ENDED" as const;
  /** The request method, e.g. `"GET"`. */
  readonly method: string;
  /** The requested URL (for `"read"`, the response's URL, after redirects). */
  readonly url: string;
  /** The name of the task that ended, when it has one. */
  readonly task: string | undefined;
  /**
   * What was refused: `"send"`, the request itself, before anything reached the server (the call
   * came, or its wait for a limiter slot or a retry ended, after the task returned); `"read"`, a
   * read of the response body, after the request was sent.
   */
  readonly phase: "send" | "read";

  constructor(method: string, url: string, task: string | undefined, phase: "send" | "read" = "read") {
    const named = task === undefined ? undefined : `task "${task}"`;
    super(
      phase === "send"
        ? `cannot send ${method} ${url}: ${named ?? "the task that owns it"} has ended; fetch inside the task and await it there`
        : `cannot read the body of ${method} ${url}: ${named ?? "the task that fetched it"} has ended; read the body inside the task`,
    );
    this.method = method;
    this.url = url;
    this.task = task;
    this.phase = phase;
  }
}
defineErrorClass(TaskEndedError, { scope: "@nursery/fetch", name: "TaskEndedError", code: "ERR_TASK_ENDED" });
