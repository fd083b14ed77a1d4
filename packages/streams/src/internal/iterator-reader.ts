// Reading an AsyncIterable (or a sync Iterable, the way `for await` reads one).
//
// A pending `next()` cannot be un-called. When a read is withdrawn, its promise is handed back to
// the driver: dropped with the source on close, or parked here, keyed by the iterator, when the
// source is kept open. The next reader of that same iterator (an async generator is its own
// iterator, so `iterate(gen)` again finds it) receives the parked result before calling `next()`
// again, so no chunk is skipped. See docs/design/decisions/streams-late-chunks.md.
import { nestedAsync } from "./nesting.js";
import { attempt, PendingRead, type Outcome, type Reader } from "./reader.js";

const parked = new WeakMap<object, Promise<Outcome<unknown>>>();

function nextOutcome<T>(iterator: AsyncIterator<T>): Promise<Outcome<T>> {
  return attempt(() => iterator.next()).then(
    (result): Outcome<T> =>
      typeof result === "object" && result !== null
        ? { result }
        : { error: new TypeError(`Iterator result ${String(result)} is not an object`) },
    (error: unknown): Outcome<T> => ({ error }),
  );
}

/** An async view of a sync iterator, with the same value-awaiting `for await` applies. */
function fromSync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return {
    async next() {
      const r = iterator.next();
      return r.done ? r : { done: false, value: await r.value };
    },
    return() {
      return Promise.resolve(iterator.return?.() ?? { done: true, value: undefined });
    },
  };
}

function isIterator(value: object): value is AsyncIterator<unknown> | Iterator<unknown> {
  return typeof (value as { next?: unknown }).next === "function";
}

export class IteratorReader<T> implements Reader<T> {
  readonly #source: AsyncIterable<T> | Iterable<T>;
  #iterator: AsyncIterator<T> | undefined;
  // The object results are parked under: the source's own iterator (the sync one for iterables).
  #key: object | undefined;
  readonly #pending = new PendingRead<T>();

  constructor(source: AsyncIterable<T> | Iterable<T>) {
    this.#source = source;
  }

  read(settle: (outcome: Outcome<T>) => void): void {
    let read: Promise<Outcome<T>>;
    try {
      const iterator = this.#open();
      const waiting = parked.get(this.#key as object) as Promise<Outcome<T>> | undefined;
      if (waiting !== undefined) parked.delete(this.#key as object);
      read = waiting ?? nextOutcome(iterator);
    } catch (error) {
      settle({ error });
      return;
    }
    this.#pending.start(read, settle);
  }

  withdraw(): Promise<Outcome<T>> | undefined {
    return this.#pending.withdraw();
  }

  close(): Promise<void> {
    // Never opened: close the source only if it is its own iterator (a generator object); asking
    // an iterable for a fresh iterator just to close it could start work (a query, a socket).
    if (this.#iterator === undefined && isIterator(this.#source)) {
      const own = this.#source;
      return attempt(() => own.return?.()).then(() => undefined);
    }
    const iterator = this.#iterator;
    // The source may be another iteration, itself closing its own source: deep chains go through
    // `nestedAsync` so that closing 10,000 levels does not overflow the stack.
    return nestedAsync(() => attempt(() => iterator?.return?.()).then(() => undefined));
  }

  release(late: Promise<Outcome<T>> | undefined): void {
    if (late !== undefined && this.#key !== undefined) parked.set(this.#key, late);
  }

  finish(): void {}

  #open(): AsyncIterator<T> {
    if (this.#iterator !== undefined) return this.#iterator;
    const source = this.#source as Partial<AsyncIterable<T> & Iterable<T>>;
    const asyncMethod = source[Symbol.asyncIterator];
    let iterator: AsyncIterator<T>;
    let key: object;
    if (typeof asyncMethod === "function") {
      iterator = asyncMethod.call(source);
      key = iterator;
    } else {
      const sync = (source as Iterable<T>)[Symbol.iterator]();
      iterator = fromSync(sync);
      key = sync;
    }
    if (typeof iterator !== "object" || iterator === null || typeof iterator.next !== "function") {
      throw new TypeError("The source's iterator method did not return an iterator");
    }
    this.#iterator = iterator;
    this.#key = key;
    return iterator;
  }
}
