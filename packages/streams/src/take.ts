// take(): the first `count` chunks of a source, then the source is closed without reading more.
import { Iteration, checkSource } from "./internal/iteration.js";
import { DONE, sourceOf, type Outcome, type Reader } from "./internal/reader.js";
import { checkCount, checkOptions, checkOptionalSignal } from "@nursery/core/adapter";
import type { IterateSource, TaskIterator } from "./iterate.js";

/** Options of {@link take}, {@link merge} and {@link map}. */
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
 * - Cancellation: as {@link iterate}: `next()` rejects with `signal.reason` and the source is closed.
 *
 * A `count` that is not an integer >= 0 (or `Infinity`) throws a `TypeError`.
 *
 * @example
 * ```ts
 * // Read the header line, leave the rest of the stream for the body parser.
 * for await (const header of take(iterate(lines, { preventCancel: true }), 1, { signal })) parseHeader(header);
 * await parseBody(iterate(lines, { signal }));
 * ```
 */
export function take<T = unknown>(source: IterateSource<T>, count: number, options?: HelperOptions): TaskIterator<T> {
  checkSource("source", source);
  checkCount("count", count, 0, true);
  checkOptions("options", options);
  const signal = checkOptionalSignal("options.signal", options?.signal);
  return new Iteration<T>(sourceOf(new TakeReader<T>(source, count)), signal, false);
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
