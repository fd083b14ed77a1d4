// The error classes of @nursery/core. Each has a stable `code`, a `name`, and an `instanceof` that
// works across two installed copies of this package (see internal/brand.ts): code that catches
// errors thrown by another copy's nursery still recognises them.
import { BRAND, brandOf } from "./internal/brand.js";

/** Where a cancellation came from. See {@link CancelledError}. */
export type CancelSource = "explicit" | "signal" | "deadline" | "sibling-failed" | "parent";

/** The provenance of a cancellation: what triggered it, and in which nursery or task. */
export interface CancelReason {
  /** What triggered the cancellation. */
  readonly source: CancelSource;
  /**
   * Extra detail: the argument given to `cancel(reason)`, the process signal's name (`"SIGINT"`),
   * the deadline in ms, the failing task's error, or an outside signal's own reason.
   */
  readonly detail: unknown;
  /** Name of the nursery or scope where the cancellation started. */
  readonly nursery: string | undefined;
  /** Name of the task involved: the one cancelled by `Task.cancel()`, or the one that failed. */
  readonly task: string | undefined;
}

/** Sets the `name` every instance shows and brands the class (a non-enumerable `code` under BRAND). */
function define(cls: { prototype: Error }, name: string, brand: PropertyDescriptor): void {
  cls.prototype.name = name;
  Object.defineProperty(cls.prototype, BRAND, brand);
}

function quote(name: string | undefined): string {
  return name === undefined ? "" : `"${name}"`;
}

function detailText(detail: unknown): string {
  if (detail === undefined) return "";
  if (typeof detail === "string") return `: ${detail}`;
  try {
    if (detail instanceof Error) return `: ${detail.message}`;
  } catch {
    // A revoked Proxy: nothing to print, and building the message must not throw (cancel() never does).
  }
  return "";
}

// A NurseryError's message quotes its first error's, so a failure at the bottom of N nested
// nurseries gave the top one a message of N lines' worth (780 KB at 20,000 levels) and O(N^2)
// text in all. Past SUMMARY_MAX the quote keeps its start (the outer nurseries) and its end (the
// error that started it), cut where no surrogate pair is split.
const SUMMARY_MAX = 600;
const SUMMARY_KEEP = 290;

/**
 * A text for any thrown value, at most SUMMARY_MAX + 3 characters; never throws
 * (`String(Object.create(null))` does).
 */
function summaryOf(value: unknown): string {
  let text: string;
  try {
    text = value instanceof Error ? value.message : String(value);
  } catch {
    return "a value that cannot be converted to a string";
  }
  if (text.length <= SUMMARY_MAX) return text;
  let head = SUMMARY_KEEP;
  let tail = text.length - SUMMARY_KEEP;
  if ((text.charCodeAt(head - 1) & 0xfc00) === 0xd800) head--; // a high surrogate: keep its pair whole
  if ((text.charCodeAt(tail) & 0xfc00) === 0xdc00) tail++; // a low surrogate
  return `${text.slice(0, head)} … ${text.slice(tail)}`;
}

function cancelMessage(r: CancelReason): string {
  const nursery = `nursery ${quote(r.nursery)}`;
  const where = r.nursery === undefined ? "" : ` (${nursery})`;
  const task = r.task === undefined ? undefined : `task ${quote(r.task)}`;
  switch (r.source) {
    case "explicit":
      return task !== undefined
        ? `cancelled: ${task} was cancelled${where}${detailText(r.detail)}`
        : `cancelled: ${r.nursery === undefined ? "scope" : nursery} was cancelled${detailText(r.detail)}`;
    case "signal":
      return `cancelled: received ${String(r.detail)}${where}`;
    case "deadline":
      return `cancelled: deadline of ${String(r.detail)} ms passed${where}`;
    case "sibling-failed":
      return task !== undefined ? `cancelled: sibling ${task} failed${where}` : `cancelled: the body of ${nursery} failed`;
    case "parent":
      return `cancelled: parent was cancelled${where}${detailText(r.detail)}`;
  }
}

/**
 * The reason every cancelled task sees: `task.signal.reason` is a `CancelledError`, and awaiting a
 * cancelled task rejects with it.
 *
 * Thrown (as a rejection) by a nursery cancelled from outside (its outside `signal`, an enclosing
 * nursery, a process signal under `run()`). A nursery that cancelled itself with `cancel()` does not
 * reject with it. Recognise it with `isCancellation(err)`; let it propagate rather than logging it.
 *
 * @example
 * ```ts
 * try { await work(signal) } catch (err) { if (!isCancellation(err)) log(err); throw err }
 * ```
 */
export class CancelledError extends Error {
  /** Always `"ERR_CANCELLED"`. */
  readonly code = "ERR_CANCELLED" as const;
  /** What triggered the cancellation and where. */
  readonly reason: CancelReason;

  constructor(reason: { source: CancelSource; detail?: unknown; nursery?: string | undefined; task?: string | undefined }) {
    const full: CancelReason = {
      source: reason.source,
      detail: reason.detail,
      nursery: reason.nursery,
      task: reason.task,
    };
    super(cancelMessage(full));
    this.reason = full;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandOf(value) === "ERR_CANCELLED";
  }
}
define(CancelledError, "CancelledError", { value: "ERR_CANCELLED" });

/**
 * What an outer signal's abort means to the scope or task it reaches: an enclosing nursery's
 * `CancelledError` as is (so a Ctrl+C reads "received SIGINT" in every nested task, and the
 * enclosing nursery recognises its own reason by identity), any other reason wrapped with source
 * `"parent"`. Internal: not exported from the package.
 */
export function fromParent(reason: unknown, nursery: string | undefined, task?: string): CancelledError {
  return reason instanceof CancelledError ? reason : new CancelledError({ source: "parent", detail: reason, nursery, task });
}

/**
 * A deadline failed: a nursery's `timeout` or a `failAfter` scope ran out of time before its work
 * finished. A verdict, not a cancellation: `isCancellation()` is false for it, and it is reported.
 * Catch it where a slow operation has a fallback; `moveOnAfter` is the form that does not throw.
 */
export class TimeoutError extends Error {
  /** Always `"ERR_TIMEOUT"`. */
  readonly code = "ERR_TIMEOUT" as const;
  /** The deadline that passed, in ms. */
  readonly timeout: number;
  /** The nursery or scope whose deadline passed. */
  readonly scope: string | undefined;

  constructor(timeout: number, scope?: string, options?: { cause?: unknown }) {
    super(`${quote(scope) || "operation"} timed out after ${timeout} ms`, options);
    this.timeout = timeout;
    this.scope = scope;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandOf(value) === "ERR_TIMEOUT";
  }
}
define(TimeoutError, "TimeoutError", { value: "ERR_TIMEOUT" });

/**
 * A nursery failed: its body, a child or a child's cleanup threw. `.errors` lists every real error,
 * in the order they happened, each once; cancellations are never listed. Always thrown wrapped, even
 * for one error, so `catch` code has one shape to handle.
 */
export class NurseryError extends AggregateError {
  /** Always `"ERR_NURSERY_FAILED"`. */
  readonly code = "ERR_NURSERY_FAILED" as const;
  /** Name of the nursery that failed. */
  readonly nursery: string;

  /**
   * @param options.cause - The nursery's own `TimeoutError` when its `timeout` had passed as the
   *   errors happened, so the deadline is not lost behind them.
   */
  constructor(errors: readonly unknown[], nursery: string, options?: { cause?: unknown }) {
    const summary = summaryOf(errors[0]);
    super(
      errors,
      `nursery "${nursery}" failed with ${errors.length} error${errors.length === 1 ? "" : "s"}: ${summary}${errors.length > 1 ? " (and more)" : ""}`,
      options?.cause === undefined ? undefined : options,
    );
    this.nursery = nursery;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandOf(value) === "ERR_NURSERY_FAILED";
  }
}
define(NurseryError, "NurseryError", { value: "ERR_NURSERY_FAILED" });

/**
 * Thrown by `spawn()`/`start()` on a nursery that has already finished. Spawn from code that runs
 * inside the nursery's lifetime (its body or its children), or open a new nursery.
 */
export class NurseryClosedError extends Error {
  /** Always `"ERR_NURSERY_CLOSED"`. */
  readonly code = "ERR_NURSERY_CLOSED" as const;
  constructor(nursery: string) {
    super(`nursery "${nursery}" is closed: it finished, so nothing more can be spawned into it`);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandOf(value) === "ERR_NURSERY_CLOSED";
  }
}
define(NurseryClosedError, "NurseryClosedError", { value: "ERR_NURSERY_CLOSED" });

/**
 * `start()` was misused: the task returned or failed before calling `started()` (the rejection of
 * `start()`), or called `started()` twice (thrown by the second call).
 */
export class StartError extends Error {
  /** `"ERR_NOT_STARTED"` when the task ended without `started()`, `"ERR_ALREADY_STARTED"` for a second call. */
  readonly code: "ERR_NOT_STARTED" | "ERR_ALREADY_STARTED";
  constructor(code: "ERR_NOT_STARTED" | "ERR_ALREADY_STARTED", task: string) {
    super(
      code === "ERR_NOT_STARTED"
        ? `task "${task}" returned without calling started()`
        : `task "${task}" called started() twice`,
    );
    this.code = code;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    const code = brandOf(value);
    return code === "ERR_NOT_STARTED" || code === "ERR_ALREADY_STARTED";
  }
}
// Brands an instance with its own `code`: the class has two.
define(StartError, "StartError", {
  get(this: StartError) {
    return this.code;
  },
});

/** One task still running when the shutdown deadline passed. */
export interface Straggler {
  /**
   * Path of names from the root, e.g. `main/crawler/worker-3`. A slash or backslash inside one
   * name is preceded by a backslash, so a name holding `/` (a URL, a file path) stays one level.
   */
  readonly path: string;
  /** Where the task's function is defined, as `file:line:column`, when it could be found. */
  readonly site: string | undefined;
}

/**
 * Under `run()`, cleanup did not finish within `shutdownTimeout`. Lists the tasks still running;
 * `run()` prints them and exits 1. Fix by making those tasks honour their `signal`.
 */
export class ShutdownTimeoutError extends Error {
  /** Always `"ERR_SHUTDOWN_TIMEOUT"`. */
  readonly code = "ERR_SHUTDOWN_TIMEOUT" as const;
  /** The tasks that had not finished. */
  readonly stragglers: readonly Straggler[];
  constructor(timeout: number, stragglers: readonly Straggler[]) {
    super(
      `shutdown did not finish within ${timeout} ms; ${stragglers.length} task${stragglers.length === 1 ? " was" : "s were"} still running`,
    );
    this.stragglers = stragglers;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandOf(value) === "ERR_SHUTDOWN_TIMEOUT";
  }
}
define(ShutdownTimeoutError, "ShutdownTimeoutError", { value: "ERR_SHUTDOWN_TIMEOUT" });

/**
 * True when `err` means "this operation was cancelled" rather than "this operation failed":
 * this library's `CancelledError`, a DOMException `AbortError` or `TimeoutError` (what
 * `AbortController.abort()` and `AbortSignal.timeout()` produce, and what `fetch` rejects with), and
 * Node's own `AbortError` (`code: "ABORT_ERR"`, from `timers/promises`, `events`, streams).
 * Our `TimeoutError` (code `ERR_TIMEOUT`) is a verdict, not a cancellation: false. Never throws,
 * whatever it is given (a revoked Proxy, an object whose getters throw: false).
 *
 * @example
 * ```ts
 * catch (err) { if (!isCancellation(err)) console.error(err); throw err }
 * ```
 */
export function isCancellation(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = brandOf(err);
  if (code !== undefined) return code === "ERR_CANCELLED";
  try {
    const e = err as { name?: unknown; code?: unknown };
    if (e.code === "ABORT_ERR") return true;
    // DOMException is matched by name and its legacy numeric code, never by instanceof (realms differ).
    if (e.name === "AbortError") return true;
    if (e.name === "TimeoutError" && (e.code === 23 || isDomException(err))) return true;
  } catch {
    // A revoked Proxy or a throwing getter: not a cancellation. A predicate used in `catch` blocks
    // must not throw and replace the error being handled.
  }
  return false;
}

function isDomException(err: object): boolean {
  return Object.prototype.toString.call(err) === "[object DOMException]" || err.constructor?.name === "DOMException";
}
