// iterate(): for-await over any source that ends with the task's cancellation, and closes the source.
//
// Goal: the `shutdown_asyncgens` of JavaScript. When a task is cancelled, the loop it is running
// ends with the cancellation, even while blocked waiting for the next chunk, and the source it was
// reading is closed (`return()`, `destroy()`, `cancel(reason)`) exactly once.
//
// Invariants (each has a test in test/iterate.test.ts):
//   - at most one abort listener per iteration: added by the first `next()`, removed when the
//     iteration finishes (end, error, cancellation or `return()`);
//   - an iteration on a task's signal ends with the task: if the task returns or throws with the
//     loop unfinished, the iteration ends as by `return()` (core's `onTaskEnd`), so neither the
//     listener nor the source outlives the task; a real error from that close has no caller left
//     and is raised as an unhandled rejection;
//   - the source is closed at most once, and only by an early end (cancellation or `return()`); a
//     source that ends or fails by itself is not closed again (the iterator protocol's rule);
//   - a cancelled read consumes nothing the consumer cannot get: see readers in internal/;
//   - iterate waits for a source's cleanup only when the source is not in the middle of a read.
//     A pending `next()` on a blocked async generator may never settle; waiting for it would make
//     "ends even while blocked" false. Its cleanup then runs detached and a real error from it is
//     raised as an unhandled rejection (see docs/design/decisions/streams-late-chunks.md).
//
// Rejected designs: racing each `next()` against a per-read abort promise (one listener per chunk,
// and the source is never closed); `AbortSignal.any` per iteration (leaks on Node 20); wrapping in
// an async generator (its `return()` queues behind the blocked `next()`, so it cannot end early).
import { reportDetached } from "./abort.js";
import { IteratorReader } from "./iterator-reader.js";
import { nested } from "./nesting.js";
import { isNodeReadable, nodeReader } from "#streams-host/node-readable";
import { DONE, READER, hasReader, type Outcome, type Reader } from "./reader.js";
import { cancelReasonOf, invalidArgument as invalid, isCancelledBy, onCancel, onTaskEnd, type Cancellable } from "@nursery/core/adapter";
import { WebReader, isWebReadable } from "./web-reader.js";
import type { TaskIterator } from "../iterate.js";

interface Deferred<T> {
  resolve(value: IteratorResult<T, undefined>): void;
  reject(reason: unknown): void;
}

const noop = (): void => {};

export function openReader<T>(source: object): Reader<T> {
  if (hasReader(source)) return (source as { [READER](): Reader<T> })[READER]();
  const node = nodeReader<T>(source);
  if (node !== undefined) return node;
  if (isWebReadable(source)) return new WebReader<T>(source as ReadableStream<T>);
  return new IteratorReader<T>(source as AsyncIterable<T>);
}

/** Throws the house-shape TypeError unless `source` is something {@link iterate} can read. */
export function checkSource(name: string, source: unknown): asserts source is object {
  const ok =
    typeof source === "object" &&
    source !== null &&
    (hasReader(source) ||
      isNodeReadable(source) ||
      isWebReadable(source) ||
      typeof (source as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function" ||
      typeof (source as Partial<Iterable<unknown>>)[Symbol.iterator] === "function");
  if (!ok) throw invalid(name, "an AsyncIterable, Iterable, Node Readable or web ReadableStream", source);
  if (isWebReadable(source) && !hasReader(source) && !isNodeReadable(source) && source.locked) {
    throw invalid(name, "an unlocked ReadableStream", source);
  }
}

export class Iteration<T> implements TaskIterator<T> {
  readonly #source: object;
  // The cancellation source (a task, a scope context or a signal): listened to through onCancel,
  // so a task's own AbortSignal is never created for it.
  readonly #signal: Cancellable | undefined;
  readonly #preventCancel: boolean;
  #reader: Reader<T> | undefined;
  #finished = false;
  #cancelled = false;
  // The next() being served, and those queued behind it (an async generator queues them too).
  #current: Deferred<T> | undefined;
  readonly #queue: Deferred<T>[] = [];
  #removeListener: (() => void) | undefined;
  #removeEndListener: (() => void) | undefined;
  // The source's close, when the iteration may wait for it; rejects only with a real error, which
  // is reported once, to the first next()/return() that asks.
  #closing: Promise<void> | undefined;
  #closeErrorReported = false;

  constructor(source: object, signal: Cancellable | undefined, preventCancel: boolean) {
    this.#source = source;
    this.#signal = signal;
    this.#preventCancel = preventCancel;
  }

  [Symbol.asyncIterator](): TaskIterator<T> {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    return new Promise((resolve, reject) => {
      const request = { resolve, reject };
      if (this.#current !== undefined) this.#queue.push(request);
      else this.#serve(request);
    });
  }

  return(): Promise<IteratorResult<T, undefined>> {
    return new Promise((resolve, reject) => {
      const request = { resolve, reject };
      if (this.#finished) {
        this.#answerFinished(request, false);
        return;
      }
      this.#end();
      const late = this.#withdraw();
      // Early exit: the pending reads, if any, end as the loop does: done.
      for (const pending of this.#takeWaiting()) pending.resolve(DONE);
      this.#shutDown(undefined, late);
      this.#answerFinished(request, false);
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  #serve(request: Deferred<T>): void {
    if (this.#finished) {
      this.#answerFinished(request, true);
      return;
    }
    const signal = this.#signal;
    if (signal !== undefined && cancelReasonOf(signal) !== undefined) {
      this.#cancel();
      this.#answerFinished(request, true);
      return;
    }
    if (signal !== undefined && this.#removeListener === undefined) {
      this.#removeListener = onCancel(signal, () => this.#cancel());
      this.#removeEndListener = onTaskEnd(signal, () => this.#taskEnded());
    }
    this.#current = request;
    // Deeper than the allowance (a chain of iterations), the read starts on a microtask: by then
    // this iteration may have been cancelled or returned, and the request answered.
    nested(() => {
      if (this.#current === request) this.#readerOf().read(this.#settle);
    });
  }

  readonly #settle = (outcome: Outcome<T>): void => {
    const request = this.#current;
    if (request === undefined) return;
    this.#current = undefined;
    if ("error" in outcome) {
      this.#end();
      this.#reader?.finish();
      if (isCancelledBy(outcome.error, this.#signal)) {
        this.#cancelled = true;
        request.reject(this.#reason());
      } else {
        request.reject(outcome.error);
      }
      this.#drainQueue();
    } else if (outcome.result.done === true) {
      this.#end();
      this.#reader?.finish();
      request.resolve(DONE);
      this.#drainQueue();
    } else {
      request.resolve(outcome.result);
      const next = this.#queue.shift();
      if (next !== undefined) this.#serve(next);
    }
  };

  // The abort listener, and the already-aborted check: end now, close the source once.
  #cancel(): void {
    if (this.#finished) return;
    this.#cancelled = true;
    this.#end();
    const late = this.#withdraw();
    this.#shutDown(this.#reason(), late);
    if (late !== undefined) {
      // The source is inside a read it cannot abandon: do not wait for it.
      for (const pending of this.#takeWaiting()) pending.reject(this.#reason());
    } else {
      this.#drainQueue();
    }
  }

  // The task that owns the signal ended with the loop unfinished: end as `return()` does, and
  // raise a real error from the close, since no next() will come to receive it.
  #taskEnded(): void {
    this.#removeEndListener = undefined;
    if (this.#finished) return;
    this.#end();
    const late = this.#withdraw();
    for (const pending of this.#takeWaiting()) pending.resolve(DONE);
    this.#shutDown(undefined, late);
    this.#closing?.catch((err: unknown) => {
      if (this.#closeErrorReported) return;
      this.#closeErrorReported = true;
      reportDetached(err);
    });
  }

  #end(): void {
    this.#finished = true;
    this.#removeListener?.();
    this.#removeListener = undefined;
    this.#removeEndListener?.();
    this.#removeEndListener = undefined;
  }

  #withdraw(): Promise<Outcome<T>> | undefined {
    if (this.#current === undefined) return undefined;
    return this.#reader?.withdraw();
  }

  // Closes (or releases) the source after an early end. With no late read the source is idle and
  // the close is awaited by the next next()/return(); otherwise it runs detached.
  #shutDown(reason: unknown, late: Promise<Outcome<T>> | undefined): void {
    const reader = this.#readerOf();
    if (this.#preventCancel) {
      reader.release(late);
      return;
    }
    const closing = this.#realErrorsOf(reader.close(reason));
    if (late === undefined) {
      this.#closing = closing;
      closing.catch(noop);
      return;
    }
    const lateError = late.then((outcome) => {
      if ("error" in outcome && !isCancelledBy(outcome.error, this.#signal)) throw outcome.error;
    });
    void Promise.allSettled([closing, lateError]).then((settled) => {
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed !== undefined) reportDetached(failed.reason);
    });
  }

  #realErrorsOf(closing: Promise<void>): Promise<void> {
    return closing.then(undefined, (err: unknown) => {
      if (!isCancelledBy(err, this.#signal)) throw err;
    });
  }

  // Answers a next() (or return()) on a finished iteration, after the source's close if pending.
  #answerFinished(request: Deferred<T>, isNext: boolean): void {
    const answer = (): void => {
      if (isNext && this.#cancelled) request.reject(this.#reason());
      else request.resolve(DONE);
    };
    if (this.#closing === undefined) {
      answer();
      return;
    }
    this.#closing.then(answer, (err: unknown) => {
      if (this.#closeErrorReported) {
        answer();
      } else {
        this.#closeErrorReported = true;
        request.reject(err);
      }
    });
  }

  #takeWaiting(): Deferred<T>[] {
    const waiting = this.#current === undefined ? [] : [this.#current];
    this.#current = undefined;
    waiting.push(...this.#queue.splice(0));
    return waiting;
  }

  #drainQueue(): void {
    for (const request of this.#takeWaiting()) this.#answerFinished(request, true);
  }

  #reason(): unknown {
    return this.#signal === undefined ? undefined : cancelReasonOf(this.#signal);
  }

  #readerOf(): Reader<T> {
    this.#reader ??= openReader<T>(this.#source);
    return this.#reader;
  }
}
