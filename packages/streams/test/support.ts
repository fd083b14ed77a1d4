// Test producers and probes shared by the @nursery/streams tests.
import { getEventListeners } from "node:events";
import { Readable } from "node:stream";

/** Abort listeners currently on `signal`. */
export function listeners(signal: AbortSignal): number {
  return getEventListeners(signal, "abort").length;
}

/**
 * Lets every queued promise callback run (one event-loop turn): not a timed sleep, so it is a
 * deterministic "everything that can progress without I/O or timers has progressed".
 */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** Resolves with whatever `promise` rejects with; fails the test if it fulfils. */
export async function rejectionOf(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

/** A promise whose state a test can read synchronously. */
export function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/**
 * An object-mode Readable fed by the test: chunks exist only when the test pushes them. Logs
 * `read` for each `_read` call (demand from the stream machinery) and `destroy` for `_destroy`.
 */
export function testReadable(options: { destroyError?: Error } = {}) {
  const log: string[] = [];
  const stream = new Readable({
    objectMode: true,
    highWaterMark: 1,
    read() {
      log.push("read");
    },
    destroy(error, callback) {
      log.push("destroy");
      callback(options.destroyError ?? error);
    },
  });
  return {
    stream,
    log,
    push(chunk: unknown): void {
      stream.push(chunk);
    },
    end(): void {
      stream.push(null);
    },
    get destroyCount(): number {
      return log.filter((entry) => entry === "destroy").length;
    },
  };
}

/** A web ReadableStream fed by the test; logs `pull` and `cancel:<reason>`. */
export function testReadableStream<T>(options: { cancelError?: Error } = {}) {
  const log: string[] = [];
  const cancelReasons: unknown[] = [];
  let controller!: ReadableStreamDefaultController<T>;
  const stream = new ReadableStream<T>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        log.push("pull");
      },
      cancel(reason) {
        log.push("cancel");
        cancelReasons.push(reason);
        if (options.cancelError !== undefined) throw options.cancelError;
      },
    },
    { highWaterMark: 0 },
  );
  return {
    stream,
    log,
    cancelReasons,
    enqueue(chunk: T): void {
      controller.enqueue(chunk);
    },
    close(): void {
      controller.close();
    },
    error(err: unknown): void {
      controller.error(err);
    },
  };
}

/** An async iterator that counts `next()` / `return()` calls; `next()` answers from `script`. */
export function countingIterator<T>(script: () => Promise<IteratorResult<T>>) {
  const counts = { next: 0, return: 0 };
  const iterator: AsyncIterableIterator<T> = {
    next() {
      counts.next += 1;
      return script();
    },
    return() {
      counts.return += 1;
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return { iterator, counts };
}

/** A promise plus its resolve/reject, for blocking a producer until the test releases it. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
