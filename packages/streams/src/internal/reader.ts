// The one interface `iterate()` drives, implemented once per kind of source (async iterator, Node
// Readable, web ReadableStream, channel). It separates the two questions cancellation asks:
//
//   - can the read in progress be withdrawn with nothing consumed? (`withdraw()`)
//     Readable and channel reads are synchronous decisions: yes, always. A pending `next()` on an
//     async iterator or `reader.read()` on a web stream cannot be un-called: its result arrives
//     late, and `withdraw()` returns it so the driver can drop it with the closed source, or park
//     it for the next reader when the source is kept open (`preventCancel`).
//   - how is the source closed (`close`) or left open (`release`)?
//
// Invariants: `settle` is called at most once per `read`, never after `withdraw()`; `close` and
// `release` are called at most once, and never both.

/** The outcome of one read: an iterator result, or the error the source raised. */
export type Outcome<T> = { readonly result: IteratorResult<T, unknown> } | { readonly error: unknown };

export interface Reader<T> {
  /** Starts one read; `settle` is called once with its outcome, possibly synchronously. */
  read(settle: (outcome: Outcome<T>) => void): void;
  /**
   * Withdraws the read in progress. `undefined`: nothing was consumed and nothing will be.
   * Otherwise the read's late outcome (a promise that never rejects).
   */
  withdraw(): Promise<Outcome<T>> | undefined;
  /** Closes the source (`return()`, `destroy()`, `cancel(reason)`); settles when its cleanup did. */
  close(reason: unknown): Promise<void>;
  /** Detaches without closing; a late outcome is parked for the next reader of the same source. */
  release(late: Promise<Outcome<T>> | undefined): void;
  /** The source ended by itself (done or error): drop listeners and locks. */
  finish(): void;
}

/** Implemented by this package's own sources (channels) that can read with exact withdrawal. */
export const READER: unique symbol = Symbol("@nursery/streams.reader") as never;

export interface HasReader<T> {
  [READER](): Reader<T>;
}

export function hasReader(value: unknown): value is HasReader<unknown> {
  return typeof (value as Partial<HasReader<unknown>> | null)?.[READER] === "function";
}

export const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Calls `fn` and turns what it returns or throws into a promise (user code may throw synchronously). */
export function attempt<R>(fn: () => R | PromiseLike<R>): Promise<R> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * The read in progress of a source whose reads cannot be un-called (an async iterator, a web
 * stream): `settle` gets its outcome unless `withdraw()` came first, which hands the read back
 * instead, as its late outcome.
 */
export class PendingRead<T> {
  #read: Promise<Outcome<T>> | undefined;

  start(read: Promise<Outcome<T>>, settle: (outcome: Outcome<T>) => void): void {
    this.#read = read;
    void read.then((outcome) => {
      if (this.#read !== read) return;
      this.#read = undefined;
      settle(outcome);
    });
  }

  withdraw(): Promise<Outcome<T>> | undefined {
    const late = this.#read;
    this.#read = undefined;
    return late;
  }
}

/** Wraps a reader as a source `iterate()` accepts (how the helpers hand their readers to it). */
export function sourceOf<T>(reader: Reader<T>): HasReader<T> {
  return { [READER]: () => reader };
}
