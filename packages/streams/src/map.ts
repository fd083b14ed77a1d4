// map(): applies an async function to each chunk, up to `concurrency` at once, results in order.
import { checkCancellable, isCancellable } from "./internal/abort.js";
import { Consumer } from "./internal/consumer.js";
import { Iteration, checkSource } from "./internal/iteration.js";
import { DONE, attempt, sourceOf, type Outcome, type Reader } from "./internal/reader.js";
import { checkCount, checkFunction, checkOptions, checkOptionalSignal, invalidArgument, isCancelledBy, type Cancellable } from "@nursery/core/adapter";
import type { IterateSource, TaskIterator } from "./iterate.js";
import type { HelperOptions } from "./take.js";

/** Options of {@link map}. */
export interface MapOptions extends HelperOptions {
  /** How many calls of `fn` may run at once (an integer >= 1, or `Infinity`). Default 1. */
  concurrency?: number | undefined;
}

/** The context each call of a {@link map} function receives. */
export interface MapContext {
  /** Aborts when the map stops early (cancellation, `break`, or another call failed). */
  readonly signal: AbortSignal;
}

/**
 * Applies `fn` to every chunk of `source`, running up to `concurrency` calls at once, and yields
 * the results in source order.
 *
 * Use it for bounded parallel work over a stream (fetch each URL, resize each image) inside a task.
 * What it adds over a loop with `Promise.all`: at most `concurrency` chunks are read ahead of the
 * consumer (backpressure), each call gets a signal that aborts when the map stops, and stopping
 * early, by `break`, cancellation or a failed call, aborts the calls in flight, waits for them to
 * settle, and closes the source, before the loop goes on.
 *
 * - Success: yields `fn`'s results in the order of the chunks they came from.
 * - Error: the first call that rejects (or a source error) aborts the other calls and closes the
 *   source; `next()` then rejects with that first error once they have settled.
 * - Cancellation: when `task` is cancelled, `next()` rejects with its reason after the calls in flight have settled
 *   (they see their signal abort) and the source is closed.
 *
 * Bad input (a non-function `fn`, a `concurrency` that is not an integer >= 1) throws a `TypeError`.
 *
 * @example
 * ```ts
 * for await (const page of map(task, urls, (url, { signal }) => fetch(url, { signal }), { concurrency: 4 })) {
 *   await save(page);
 * }
 * ```
 */
export function map<T, R>(
  task: Cancellable,
  source: IterateSource<T>,
  fn: (value: T, context: MapContext) => R | PromiseLike<R>,
  options?: Omit<MapOptions, "signal">,
): TaskIterator<Awaited<R>>;
/** @deprecated Write `map(task, source, fn, options?)`: the cancellation source comes first (api-cancellation-source.md). */
export function map<T, R>(
  source: IterateSource<T>,
  fn: (value: T, context: MapContext) => R | PromiseLike<R>,
  options?: MapOptions,
): TaskIterator<Awaited<R>>;
export function map<T, R>(...args: unknown[]): TaskIterator<Awaited<R>> {
  // `map(task, source, fn, options?)`, or the older `map(source, fn, options?)`: no source is a
  // cancellation source, so the first argument tells them apart.
  const old = !isCancellable(args[0]);
  const [source, fn, options] = (old ? args : args.slice(1)) as [unknown, unknown, MapOptions | undefined];
  checkSource("source", source);
  checkFunction("fn", fn);
  checkOptions("options", options);
  const concurrency = options?.concurrency === undefined ? 1 : checkCount("options.concurrency", options.concurrency, 1, true);
  const signal = checkOptionalSignal("options.signal", options?.signal);
  let cancel: Cancellable | undefined = signal;
  if (!old) {
    if (signal !== undefined) throw invalidArgument("options.signal", "left out (the task, the first argument, cancels the map)", signal);
    cancel = checkCancellable("task", args[0]);
  }
  const reader = new MapReader<T, Awaited<R>>(source, fn as (value: T, context: MapContext) => Awaited<R>, concurrency);
  return new Iteration<Awaited<R>>(sourceOf(reader), cancel, false);
}

interface Slot<R> {
  outcome: Outcome<R> | undefined;
}

class MapReader<T, R> implements Reader<R> {
  readonly #fn: (value: T, context: MapContext) => R | PromiseLike<R>;
  readonly #concurrency: number;
  readonly #controller = new AbortController();
  readonly #context: MapContext = { signal: this.#controller.signal };
  readonly #upstream: TaskIterator<T>;
  // Calls started and not yet delivered, in source order; never more than `concurrency`.
  readonly #slots: Slot<R>[] = [];
  readonly #running = new Set<Promise<void>>();
  #pulling = false;
  #upstreamDone = false;
  readonly #consumer = new Consumer<R>();
  #stopped = false;

  constructor(source: object, fn: (value: T, context: MapContext) => R | PromiseLike<R>, concurrency: number) {
    this.#fn = fn;
    this.#concurrency = concurrency;
    this.#upstream = new Iteration<T>(source, this.#controller.signal, false);
  }

  read(settle: (outcome: Outcome<R>) => void): void {
    if (!this.#consumer.wait(settle)) return;
    this.#fill();
    this.#deliver();
  }

  withdraw(): undefined {
    return this.#consumer.withdraw();
  }

  close(reason: unknown): Promise<void> {
    const failed = this.#consumer.closeAfterFailure();
    if (failed !== undefined) return failed;
    this.#stopped = true;
    return this.#teardown(reason).then((error) => {
      if (error !== undefined) throw error.error;
    });
  }

  release(): void {}

  finish(): void {}

  #fill(): void {
    if (this.#stopped || this.#pulling || this.#upstreamDone || this.#slots.length >= this.#concurrency) return;
    this.#pulling = true;
    this.#upstream.next().then(
      (result) => {
        this.#pulling = false;
        if (this.#stopped) return;
        if (result.done === true) this.#upstreamDone = true;
        else this.#start(result.value);
        this.#fill();
        this.#deliver();
      },
      (error: unknown) => {
        this.#pulling = false;
        this.#upstreamDone = true;
        if (!this.#stopped) this.#fail(error);
      },
    );
  }

  #start(value: T): void {
    const slot: Slot<R> = { outcome: undefined };
    this.#slots.push(slot);
    const run = attempt(() => this.#fn(value, this.#context)).then(
      (mapped) => {
        slot.outcome = { result: { done: false, value: mapped } };
      },
      (error: unknown) => {
        slot.outcome = { error };
        if (!this.#stopped) this.#fail(error);
      },
    );
    this.#running.add(run);
    void run.then(() => {
      this.#running.delete(run);
      this.#deliver();
    });
  }

  #deliver(): void {
    const settle = this.#consumer.waiting;
    if (settle === undefined || this.#stopped) return;
    const head = this.#slots[0];
    if (head?.outcome !== undefined) {
      this.#slots.shift();
      this.#fill();
      this.#consumer.answer(settle, head.outcome);
    } else if (head === undefined && this.#upstreamDone && !this.#pulling) {
      this.#consumer.answer(settle, { result: DONE });
    }
  }

  // The first error wins; errors the other calls raise while being torn down because of it are
  // not reported (docs/design/decisions/streams-helpers.md).
  #fail(error: unknown): void {
    this.#stopped = true;
    this.#consumer.fail(this.#teardown(undefined), error);
  }

  // Aborts the calls in flight and the source, waits for both; resolves with the first real error
  // raised while doing so, if any.
  async #teardown(reason: unknown): Promise<{ error: unknown } | undefined> {
    this.#controller.abort(reason);
    await Promise.all(this.#running);
    let failure: { error: unknown } | undefined;
    for (const slot of this.#slots) {
      const outcome = slot.outcome;
      if (outcome !== undefined && "error" in outcome && !isCancelledBy(outcome.error, this.#controller.signal)) {
        failure ??= { error: outcome.error };
      }
    }
    this.#slots.length = 0;
    try {
      await this.#upstream.return();
    } catch (error) {
      failure ??= { error };
    }
    return failure;
  }
}
