// iterate(): the task-bound `for await`. The machinery lives in internal/iteration.ts (why it is
// built the way it is) and internal/*-reader.ts (one reader per kind of source).
import type { Readable } from "node:stream";
import { Iteration, checkSource } from "./internal/iteration.js";
import { checkCancellable } from "./internal/abort.js";
import { checkBoolean, checkOptions, checkOptionalSignal, invalidArgument, type Cancellable } from "@nursery/core/adapter";

/** What {@link iterate} reads: anything `for await` accepts, plus Node and web readable streams. */
export type IterateSource<T> = AsyncIterable<T> | Iterable<T> | Readable | ReadableStream<T>;

/** Options of {@link iterate}. */
export interface IterateOptions {
  /** The task's signal: when it aborts, iteration ends with `signal.reason` and the source is closed. */
  signal?: AbortSignal | undefined;
  /**
   * Keep the source open when iteration ends early (cancellation or `break`), like
   * `ReadableStream.values({ preventCancel })`: the stream's lock is released, nothing is
   * destroyed, and a chunk a cancelled read had already pulled is handed to the next `iterate()` of
   * the same source. Default `false`: iterate owns the source and closes it.
   */
  preventCancel?: boolean | undefined;
}

/** The async iterator {@link iterate} returns; also `AsyncDisposable` for `await using`. */
export interface TaskIterator<T> extends AsyncIterator<T, undefined>, AsyncDisposable {
  next(): Promise<IteratorResult<T, undefined>>;
  /** Ends the iteration early and closes the source (unless `preventCancel`); idempotent. */
  return(): Promise<IteratorResult<T, undefined>>;
  [Symbol.asyncIterator](): TaskIterator<T>;
}

/**
 * Iterates `source` until it ends or `task` is cancelled, then closes it: the task-bound `for await`.
 *
 * Use it for every loop over a stream or async iterator inside a task, so that cancelling the task
 * ends the loop at once (even while it is blocked waiting for the next chunk) and nothing
 * half-consumed stays open: an async iterator's `return()` is called, a Node `Readable` is
 * destroyed, a web `ReadableStream` is cancelled with the reason, each exactly once.
 *
 * - Success: yields every chunk in order, then ends when the source ends. `break` (or `return()`)
 *   closes the source and waits for its cleanup, like a plain `for await`.
 * - Error: a source error rejects `next()` with that error; the source is not closed again.
 * - Cancellation: `next()` rejects with `signal.reason` itself, at once if the signal is already
 *   aborted (nothing is read). A read cancelled while waiting consumes nothing; a chunk an async
 *   iterator delivers after the cancellation is never yielded (with `preventCancel` it is kept for
 *   the next `iterate()` of the same source). When the source is idle the cancellation waits for its
 *   cleanup, and a real error from that cleanup replaces the cancellation.
 *
 * Bad input (not iterable, a locked web stream, a non-signal `signal`) throws a `TypeError`.
 *
 * @example
 * ```ts
 * await nursery(async (n) => {
 *   n.spawn(async (task) => {
 *     for await (const line of iterate(task, lines(socket))) handle(line);
 *   });
 * });
 * ```
 */
export function iterate<T>(task: Cancellable, source: ReadableStream<T>, options?: Omit<IterateOptions, "signal">): TaskIterator<T>;
export function iterate<T = unknown>(task: Cancellable, source: Readable, options?: Omit<IterateOptions, "signal">): TaskIterator<T>;
export function iterate<T>(task: Cancellable, source: AsyncIterable<T> | Iterable<T>, options?: Omit<IterateOptions, "signal">): TaskIterator<T>;
export function iterate<T>(source: ReadableStream<T>, options?: IterateOptions): TaskIterator<T>;
export function iterate<T = unknown>(source: Readable, options?: IterateOptions): TaskIterator<T>;
export function iterate<T>(source: AsyncIterable<T> | Iterable<T>, options?: IterateOptions): TaskIterator<T>;
export function iterate<T>(first: unknown, second?: unknown, third?: unknown): TaskIterator<T> {
  // `iterate(task, source, options?)`, or the older `iterate(source, { signal })`: told apart by
  // whether the second argument is a source (an options object never is).
  const sourceFirst = isSourceLike(second);
  const source = (sourceFirst ? second : first) as IterateSource<T>;
  const options = (sourceFirst ? third : second) as IterateOptions | undefined;
  checkSource("source", source);
  checkOptions("options", options);
  const signal = checkOptionalSignal("options.signal", options?.signal);
  let source_: Cancellable | undefined = signal;
  if (sourceFirst) {
    if (signal !== undefined) throw invalidArgument("options.signal", "left out (the task, the first argument, cancels the iteration)", signal);
    source_ = checkCancellable("task", first);
  }
  const preventCancel = checkBoolean("options.preventCancel", options?.preventCancel, false);
  return new Iteration<T>(source, source_, preventCancel);
}


/** True for what `iterate()` can read; never for an options object. */
function isSourceLike(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  try {
    checkSource("source", value);
    return true;
  } catch {
    return false;
  }
}
