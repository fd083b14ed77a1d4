// merge(): chunks from several sources, as they arrive; every source is closed when it stops.
import { Consumer } from "./internal/consumer.js";
import { Iteration, checkSource } from "./internal/iteration.js";
import { DONE, sourceOf, type Outcome, type Reader } from "./internal/reader.js";
import { helperSource, isCancellable } from "./internal/abort.js";
import { invalidArgument as invalid, type Cancellable } from "@nursery/core/adapter";
import type { IterateSource, TaskIterator } from "./iterate.js";
import type { HelperOptions } from "./take.js";

/**
 * Interleaves several sources into one: yields each chunk as soon as any source produces it, and
 * ends when all of them have ended.
 *
 * Use it to consume several streams in one loop (several sockets, a channel and a timer) without
 * a task per source. What it adds over hand-written `Promise.race` loops: every source is closed
 * when the merge stops early, each source has at most one chunk pulled ahead (backpressure), and a
 * pending read of one source is never lost when another one wins the race.
 *
 * - Success: yields every chunk of every source; chunks of one source keep their order.
 * - Error: the first source error closes the other sources, then rejects `next()` with it.
 * - Cancellation: as {@link iterate}: when `task` is cancelled, `next()` rejects with its reason;
 *   all sources are closed.
 *
 * A `task` that is not a cancellation source, or a `sources` that is not an iterable of sources,
 * throws a `TypeError`.
 *
 * @example
 * ```ts
 * for await (const event of merge(task, [clicks, keys, ticks])) render(event);
 * ```
 */
export function merge<T = unknown>(task: Cancellable, sources: Iterable<IterateSource<T>>): TaskIterator<T>;
/** @deprecated Write `merge(task, sources)`: the cancellation source comes first (api-cancellation-source.md). */
export function merge<T = unknown>(sources: Iterable<IterateSource<T>>, options?: HelperOptions): TaskIterator<T>;
export function merge<T>(first: unknown, second?: unknown): TaskIterator<T> {
  // `merge(task, sources)`, or the older `merge(sources, options?)`: told apart by the first argument.
  const old = !isCancellable(first);
  const sources = old ? first : second;
  if (!isIterable(sources)) throw invalid("sources", "an iterable of sources", sources);
  const list = [...sources];
  list.forEach((source, index) => checkSource(`sources[${index}]`, source));
  const cancel = helperSource(old, first, second);
  return new Iteration<T>(sourceOf(new MergeReader<T>(list as object[])), cancel, false);
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === "object" && value !== null && typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
}

interface Input<T> {
  readonly iterator: TaskIterator<T>;
  state: "idle" | "pulling" | "holding" | "done";
  value: T | undefined;
}

class MergeReader<T> implements Reader<T> {
  readonly #controller = new AbortController();
  readonly #inputs: Input<T>[];
  // Inputs holding a chunk, in arrival order.
  readonly #ready: Input<T>[] = [];
  #remaining: number;
  readonly #consumer = new Consumer<T>();
  #stopped = false;

  constructor(sources: object[]) {
    this.#inputs = sources.map((source) => ({
      iterator: new Iteration<T>(source, this.#controller.signal, false),
      state: "idle",
      value: undefined,
    }));
    this.#remaining = sources.length;
  }

  read(settle: (outcome: Outcome<T>) => void): void {
    if (!this.#consumer.wait(settle)) return;
    this.#deliver();
    for (const input of this.#inputs) if (input.state === "idle") this.#pull(input);
  }

  withdraw(): undefined {
    return this.#consumer.withdraw();
  }

  close(reason: unknown): Promise<void> {
    // A source failed and the consumer left before hearing it: the failure is the close error.
    const failed = this.#consumer.closeAfterFailure();
    if (failed !== undefined) return failed;
    this.#stopped = true;
    if (reason !== undefined || this.#inputs.some((input) => input.state === "pulling")) {
      this.#controller.abort(reason);
    }
    return Promise.allSettled(this.#inputs.map((input) => input.iterator.return())).then((settled) => {
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed !== undefined) throw failed.reason;
    });
  }

  release(): void {}

  finish(): void {}

  #pull(input: Input<T>): void {
    input.state = "pulling";
    input.iterator.next().then(
      (result) => {
        if (this.#stopped) return;
        if (result.done === true) {
          input.state = "done";
          this.#remaining -= 1;
        } else {
          input.state = "holding";
          input.value = result.value;
          this.#ready.push(input);
        }
        this.#deliver();
      },
      (error: unknown) => {
        input.state = "done";
        if (!this.#stopped) this.#fail(error);
      },
    );
  }

  #deliver(): void {
    const settle = this.#consumer.waiting;
    if (settle === undefined || this.#stopped) return;
    const input = this.#ready.shift();
    if (input !== undefined) {
      const value = input.value as T;
      input.value = undefined;
      // Pull this source's next chunk before answering: the answer may re-enter read().
      this.#pull(input);
      this.#consumer.answer(settle, { result: { done: false, value } });
    } else if (this.#remaining === 0) {
      this.#consumer.answer(settle, { result: DONE });
    }
  }

  // The first error wins: the other sources are closed (their own cleanup errors, caused by this
  // teardown, are not reported; see docs/design/decisions/streams-helpers.md), then it is delivered.
  #fail(error: unknown): void {
    this.#stopped = true;
    this.#controller.abort();
    this.#consumer.fail(Promise.allSettled(this.#inputs.map((input) => input.iterator.return())), error);
  }
}
