// Reading a Node Readable without taking data it cannot hand over.
//
// The stream stays in paused mode: a chunk leaves the stream's buffer (`stream.read()`) only inside
// a read that a consumer is waiting for, synchronously, so a withdrawn read has consumed nothing:
// whatever arrives later stays in the stream. Never 'data' events (flowing mode pushes chunks at
// us whether or not anyone is waiting, and a cancelled wait would have to drop them).
import type { Readable } from "node:stream";
import { finished } from "node:stream";
import type { Outcome, Reader } from "./reader.js";

export function isNodeReadable(value: object): value is Readable {
  const v = value as Partial<Readable> & { _readableState?: unknown };
  return (
    typeof v.read === "function" &&
    typeof v.on === "function" &&
    typeof v.destroy === "function" &&
    typeof v._readableState === "object"
  );
}

export class ReadableReader<T> implements Reader<T> {
  readonly #stream: Readable;
  #waiting: ((outcome: Outcome<T>) => void) | undefined;
  // Set once the stream finished: `null` for a clean end, else its error.
  #ended: { error: unknown } | undefined;
  #stopWatching: (() => void) | undefined;

  constructor(stream: Readable) {
    this.#stream = stream;
  }

  read(settle: (outcome: Outcome<T>) => void): void {
    this.#watch();
    this.#waiting = settle;
    this.#pull();
  }

  withdraw(): undefined {
    this.#waiting = undefined;
    return undefined;
  }

  close(): Promise<void> {
    this.#unwatch();
    const stream = this.#stream;
    return new Promise<void>((resolve, reject) => {
      // finished() also keeps an 'error' listener on the stream while it is destroyed, so a failing
      // _destroy is reported here instead of crashing the process as an unhandled 'error' event.
      const stop = finished(stream, { readable: true, writable: false }, () => {
        stop();
        const error = stream.errored;
        if (error !== null && error !== undefined) reject(error);
        else resolve();
      });
      if (!stream.destroyed) stream.destroy();
    });
  }

  release(): void {
    this.#unwatch();
  }

  finish(): void {
    this.#unwatch();
  }

  readonly #pull = (): void => {
    const settle = this.#waiting;
    if (settle === undefined) return;
    const stream = this.#stream;
    const chunk: unknown = stream.destroyed ? null : stream.read();
    if (chunk !== null) {
      this.#waiting = undefined;
      settle({ result: { done: false, value: chunk as T } });
    } else if (this.#ended !== undefined) {
      this.#waiting = undefined;
      const { error } = this.#ended;
      settle(error === null || error === undefined ? { result: { done: true, value: undefined } } : { error });
    }
    // Otherwise keep waiting: 'readable' or the end of the stream calls #pull again.
  };

  #watch(): void {
    if (this.#stopWatching !== undefined) return;
    const stream = this.#stream;
    stream.on("readable", this.#pull);
    const stop = finished(stream, { readable: true, writable: false }, (error) => {
      this.#ended = { error: error ?? null };
      this.#pull();
    });
    this.#stopWatching = () => {
      stream.off("readable", this.#pull);
      stop();
    };
  }

  #unwatch(): void {
    this.#stopWatching?.();
    this.#stopWatching = undefined;
  }
}
