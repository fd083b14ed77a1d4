// take(): the first `count` chunks of a source, then the source is closed without reading more.
import { Iteration, checkSource } from "./internal/iteration.js";
import { DONE, sourceOf, type Outcome, type Reader } from "./internal/reader.js";
import { helperSource, isCancellable } from "./internal/abort.js";
import { checkCount, type Cancellable } from "@nursery/core/adapter";
import type { IterateSource, TaskIterator } from "./iterate.js";

/** The old options of {@link take}, {@link merge} and {@link map}; the task now comes first. */
export interface HelperOptions {
  /** The task's signal: the helper ends with `signal.reason` and closes its sources. */
  signal?: AbortSignal | undefined;
}

/**
 * Yields the first `count` chunks of `source`, then closes it (its `return()`, `destroy()` or
 * `cancel()`), without asking it for chunk `count + 1`.
 *
 * Use it instead of a loop that counts and `break`s: such a loop must read a chunk to discover it
 * has enough, and that chunk is lost to whoever reads the source next; `take` never reads it.
 *
 * - Success: yields up to `count` chunks; ends early if the source ends first.
 * - Error: a source error rejects `next()` with it.
 * - Cancellation: as {@link iterate}: when `task` is cancelled, `next()` rejects with its reason and
 *   the source is closed.
 *
 * A `task` that is not a cancellation source, or a `count` that is not an integer >= 0 (or
 * `Infinity`), throws a `TypeError`.
 *
 * @example
 * ```ts
 * // Read the header line, leave the rest of the stream for the body parser.
 * for await (const header of take(task, iterate(task, lines, { preventCancel: true }), 1)) parseHeader(header);
 * await parseBody(iterate(task, lines));
 * ```
 */
export function take<T = unknown>(task: Cancellable, source: IterateSource<T>, count: number): TaskIterator<T>;
/** @deprecated Write `take(task, source, count)`: the cancellation source comes first (api-cancellation-source.md). */
export function take<T = unknown>(source: IterateSource<T>, count: number, options?: HelperOptions): TaskIterator<T>;
export function take<T>(first: unknown, second: unknown, third?: unknown): TaskIterator<T> {
  // `take(task, source, count)`, or the older `take(source, count, options?)`: no source is a
  // cancellation source, so the first argument tells them apart.
  const old = !isCancellable(first);
  const source = old ? first : second;
  const count = old ? second : third;
  checkSource("source", source);
  checkCount("count", count, 0, true);
  const cancel = helperSource(old, first, third);
  return new Iteration<T>(sourceOf(new TakeReader<T>(source, count as number)), cancel, false);
}

class TakeReader<T> implements Reader<T> {
  readonly #controller = new AbortController();
  readonly #upstream: TaskIterator<T>;
  #left: number;
  // The read in progress; cleared by withdraw() so its late outcome is ignored.
  #reading: object | undefined;
  #busy = false;

  constructor(source: object, count: number) {
    this.#upstream = new Iteration<T>(source, this.#controller.signal, false);
    this.#left = count;
  }

  read(settle: (outcome: Outcome<T>) => void): void {
    if (this.#left <= 0) {
      // Enough: close the source now, before the consumer is told the sequence ended.
      this.#upstream.return().then(
        () => settle({ result: DONE }),
        (error: unknown) => settle({ error }),
      );
      return;
    }
    const token = {};
    this.#reading = token;
    this.#upstream.next().then(
      (result) => {
        if (this.#reading !== token) return;
        this.#reading = undefined;
        if (result.done !== true) this.#left -= 1;
        settle({ result });
      },
      (error: unknown) => {
        if (this.#reading !== token) return;
        this.#reading = undefined;
        settle({ error });
      },
    );
  }

  withdraw(): undefined {
    this.#busy = this.#reading !== undefined;
    this.#reading = undefined;
    return undefined;
  }

  close(reason: unknown): Promise<void> {
    // A cancellation (or a read in progress) goes through the upstream's signal, so a blocked
    // source is abandoned, not awaited; a plain early exit closes it the ordinary way.
    if (reason !== undefined || this.#busy) this.#controller.abort(reason);
    return this.#upstream.return().then(() => undefined);
  }

  release(): void {}

  finish(): void {}
}
