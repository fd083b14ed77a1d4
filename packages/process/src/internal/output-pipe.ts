// One piped output of a child (stdout or stderr), read as chunks or lines.
//
// Invariants.
// - Exactly one 'data' listener reads the stream; what no iterator has taken yet waits in `#queue`.
//   Past `#limit` unread bytes the stream is paused, so the child blocks writing as with any pipe;
//   once the child exits the limit is lifted (`release()`), so its last output never blocks `close`.
// - At most one iterator reads at a time (`#locked`); it has at most one pending read (`#waiter`).
// - Lines and undecoded text live here, not in the iterator: breaking out of a `for await` loses
//   nothing, and a later iteration continues where the last one stopped.
// - Once aborted (the owning task was cancelled) every read rejects with the same reason and further
//   output is discarded unread, so a child printing during its SIGTERM cleanup never blocks.
// - `#tail` keeps the last bytes seen, read or not, for ProcessError's stderr excerpt.
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { onCancel } from "@nursery/core/adapter";

// Rejects a read pending when its iterator's return() is called; the iterator then reports done.
const RETURNED: unique symbol = Symbol("returned");

interface Waiter {
  resolve(chunk: Buffer | null): void;
  reject(reason: unknown): void;
}

export class OutputPipe {
  readonly name: string;
  readonly #mode: "pipe" | "ignore" | "inherit";
  readonly #stream: Readable | null;
  #queue: Buffer[] = [];
  #queued = 0;
  #limit: number;
  #paused = false;
  #ended: boolean;
  #aborted: { reason: unknown } | undefined = undefined;
  #waiter: Waiter | undefined = undefined;
  #locked = false;
  #decoder = new StringDecoder("utf8");
  #text = "";
  #lines: string[] = [];
  #tail: Buffer[] = [];
  #tailBytes = 0;
  readonly #tailLimit: number;

  constructor(
    name: string,
    mode: "pipe" | "ignore" | "inherit",
    stream: Readable | null,
    options: { limit: number; tail: number },
  ) {
    this.name = name;
    this.#mode = mode;
    this.#stream = stream;
    this.#limit = options.limit;
    this.#tailLimit = options.tail;
    this.#ended = stream === null;
    if (stream === null) return;
    stream.on("data", (chunk: Buffer) => this.#onData(chunk));
    stream.on("end", () => this.#onEnd());
    stream.on("close", () => this.#onEnd());
    // A read error on a pipe ends the output; the exit status tells what happened to the child.
    stream.on("error", () => this.#onEnd());
  }

  #onData(chunk: Buffer): void {
    if (this.#tailLimit > 0) this.#keepTail(chunk);
    if (this.#aborted !== undefined) return;
    const waiter = this.#waiter;
    if (waiter !== undefined && this.#queue.length === 0) {
      this.#waiter = undefined;
      waiter.resolve(chunk);
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= this.#limit && !this.#paused) {
      this.#paused = true;
      this.#stream?.pause();
    }
  }

  #onEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    const waiter = this.#waiter;
    if (waiter !== undefined && this.#queue.length === 0) {
      this.#waiter = undefined;
      waiter.resolve(null);
    }
  }

  #keepTail(chunk: Buffer): void {
    this.#tail.push(chunk);
    this.#tailBytes += chunk.length;
    while (this.#tail.length > 1 && this.#tailBytes - (this.#tail[0] as Buffer).length >= this.#tailLimit) {
      this.#tailBytes -= (this.#tail.shift() as Buffer).length;
    }
  }

  /** The last `tail` bytes seen, decoded; a character cut in half at the start is dropped. */
  tail(): string {
    let bytes = Buffer.concat(this.#tail);
    if (bytes.length > this.#tailLimit) {
      bytes = bytes.subarray(bytes.length - this.#tailLimit);
      let start = 0;
      while (start < bytes.length && start < 4 && ((bytes[start] as number) & 0xc0) === 0x80) start++;
      bytes = bytes.subarray(start);
    }
    return bytes.toString("utf8");
  }

  /** Lifts the buffering limit: the child has exited, what is left in the pipe is bounded. */
  release(): void {
    this.#limit = Infinity;
    this.#resume();
  }

  /** The owning task was cancelled: reject every read with `reason` and discard further output. */
  abort(reason: unknown): void {
    if (this.#aborted !== undefined) return;
    this.#aborted = { reason };
    this.#queue = [];
    this.#queued = 0;
    this.#lines = [];
    this.#text = "";
    this.#limit = Infinity;
    this.#resume();
    this.interrupt(reason);
  }

  /** Closes our end of the pipe, so a process that escaped the group cannot hold us open. */
  destroy(): void {
    this.#stream?.destroy();
  }

  #resume(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#stream?.resume();
    }
  }

  /** Rejects the pending read, if any, with `reason`; nothing is consumed. */
  interrupt(reason: unknown): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    waiter.reject(reason);
  }

  lock(): void {
    if (this.#mode !== "pipe") {
      throw new TypeError(`\`${this.name}\` is not piped (${this.#mode}); spawn with \`${this.name}: "pipe"\` to read it`);
    }
    if (this.#locked) {
      throw new TypeError(`\`${this.name}\` is already being read by another iterator; finish or break out of it first`);
    }
    this.#locked = true;
  }

  unlock(): void {
    this.#locked = false;
  }

  /** The next chunk, or null at the end of the output. */
  read(): Promise<Buffer | null> {
    if (this.#aborted !== undefined) return Promise.reject(this.#aborted.reason);
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#queued -= chunk.length;
      if (this.#paused && this.#queued < this.#limit) this.#resume();
      return Promise.resolve(chunk);
    }
    if (this.#ended) return Promise.resolve(null);
    return new Promise<Buffer | null>((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The next chunk, handing over first any text a line iteration left undelivered. */
  async readChunk(): Promise<Buffer | null> {
    if (this.#lines.length > 0 || this.#text !== "") {
      const text = this.#lines.map((line) => `${line}\n`).join("") + this.#text;
      this.#lines = [];
      this.#text = "";
      return Buffer.from(text);
    }
    return this.read();
  }

  /** The next line without its terminator (`\n` or `\r\n`), or null at the end of the output. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) return line;
      const chunk = await this.read();
      if (chunk === null) {
        const rest = this.#text + this.#decoder.end();
        this.#text = "";
        return rest === "" ? null : rest;
      }
      const parts = (this.#text + this.#decoder.write(chunk)).split("\n");
      this.#text = parts.pop() as string;
      for (const part of parts) this.#lines.push(part.endsWith("\r") ? part.slice(0, -1) : part);
    }
  }

  /** Everything received and not read, as one buffer (exec's result, once the child has closed). */
  takeAll(): Buffer {
    const all = Buffer.concat(this.#queue);
    this.#queue = [];
    this.#queued = 0;
    return all;
  }
}

/**
 * An iteration over an {@link OutputPipe}: `for await` on `proc.stdout`, `lines()` or `chunks()`.
 * Rejects with the owning task's reason once it is cancelled, and with its own `signal`'s reason
 * when that aborts (which stops this iteration only, not the process).
 */
export class OutputIterator<T extends string | Buffer> implements AsyncIterableIterator<T> {
  readonly #pipe: OutputPipe;
  readonly #mode: "lines" | "chunks";
  readonly #owner: AbortSignal;
  readonly #signal: AbortSignal | undefined;
  #removeListener: (() => void) | undefined = undefined;
  #done = false;
  #last: Promise<unknown> = Promise.resolve();

  constructor(pipe: OutputPipe, mode: "lines" | "chunks", owner: AbortSignal, signal: AbortSignal | undefined) {
    pipe.lock();
    this.#pipe = pipe;
    this.#mode = mode;
    this.#owner = owner;
    this.#signal = signal;
    if (signal !== undefined && !signal.aborted) {
      this.#removeListener = onCancel(signal, () => pipe.interrupt(signal.reason));
    }
  }

  next(): Promise<IteratorResult<T, undefined>> {
    // Calls are served in order, one read at a time.
    const result = this.#last.then(() => this.#next());
    this.#last = result.catch(() => undefined);
    return result;
  }

  async #next(): Promise<IteratorResult<T, undefined>> {
    if (this.#done) return { done: true, value: undefined };
    try {
      // Level-triggered: once either signal aborted, every read rejects with its reason.
      if (this.#signal?.aborted === true) throw this.#signal.reason;
      if (this.#owner.aborted) throw this.#owner.reason;
      const value = this.#mode === "lines" ? await this.#pipe.readLine() : await this.#pipe.readChunk();
      if (value === null) {
        this.#finish();
        return { done: true, value: undefined };
      }
      return { done: false, value: value as T };
    } catch (err) {
      this.#finish();
      if (err === RETURNED) return { done: true, value: undefined };
      throw err;
    }
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.#finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#pipe.interrupt(RETURNED);
    this.#removeListener?.();
    this.#removeListener = undefined;
    this.#pipe.unlock();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
