// Reading a web ReadableStream.
//
// A pending `reader.read()` cannot be un-called, but the stream spec gives a clean withdrawal:
// `cancel()` resolves a pending read with `done`, `releaseLock()` rejects it with a TypeError, and
// in both cases the read took no chunk. Only a read that was already fulfilled (its chunk in flight
// to us when the abort ran) carries a chunk late: on close it goes with the cancelled stream; when
// the stream is kept open it is parked here, keyed by the stream, for its next reader.
import { attempt, PendingRead, type Outcome, type Reader } from "./reader.js";

const parked = new WeakMap<object, Promise<Outcome<unknown>>>();

export function isWebReadable(value: object): value is ReadableStream<unknown> {
  const v = value as Partial<ReadableStream<unknown>>;
  return typeof v.getReader === "function" && typeof v.cancel === "function" && typeof v.locked === "boolean";
}

export class WebReader<T> implements Reader<T> {
  readonly #stream: ReadableStream<T>;
  #reader: ReadableStreamDefaultReader<T> | undefined;
  readonly #pending = new PendingRead<T>();

  constructor(stream: ReadableStream<T>) {
    this.#stream = stream;
  }

  read(settle: (outcome: Outcome<T>) => void): void {
    const waiting = parked.get(this.#stream) as Promise<Outcome<T>> | undefined;
    let read: Promise<Outcome<T>>;
    if (waiting !== undefined) {
      parked.delete(this.#stream);
      // Only a parked chunk counts; a parked `done` or release error took nothing, so read afresh
      // (a stream that really errored or closed says so again).
      read = waiting.then((outcome) =>
        "result" in outcome && outcome.result.done !== true ? outcome : this.#readOnce(),
      );
    } else {
      read = this.#readOnce();
    }
    this.#pending.start(read, settle);
  }

  withdraw(): Promise<Outcome<T>> | undefined {
    return this.#pending.withdraw();
  }

  close(reason: unknown): Promise<void> {
    const reader = this.#reader;
    if (reader === undefined) {
      return this.#stream.locked ? Promise.resolve() : attempt(() => this.#stream.cancel(reason));
    }
    return attempt(() => reader.cancel(reason)).finally(() => reader.releaseLock());
  }

  release(late: Promise<Outcome<T>> | undefined): void {
    this.#reader?.releaseLock();
    if (late !== undefined) parked.set(this.#stream, late);
  }

  finish(): void {
    this.#reader?.releaseLock();
  }

  #readOnce(): Promise<Outcome<T>> {
    return attempt(() => {
      this.#reader ??= this.#stream.getReader();
      return this.#reader.read();
    }).then(
      (result): Outcome<T> => ({ result: result as IteratorResult<T, unknown> }),
      (error: unknown): Outcome<T> => ({ error }),
    );
  }
}
