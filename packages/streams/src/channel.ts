// channel(): a bounded FIFO between tasks (trio's memory channel), with cancellable send and receive.
//
// Invariants:
//   - `#buffer.length <= capacity`;
//   - receivers wait only while the buffer is empty, senders only while it is full, so at most one
//     of `#receivers` / `#senders` is non-empty;
//   - every state change is synchronous: a waiter is either settled (its item moved) or still
//     queued, never in between, so an abort either withdraws it with nothing moved or finds it
//     already settled and does nothing. That is what makes "a cancelled send enqueued nothing, a
//     cancelled receive consumed nothing" exact, and every item delivered exactly once;
//   - waiters are served first come, first served (a Set keeps insertion order, deletes in O(1)).
// Multi-producer / multi-consumer semantics: docs/design/decisions/streams-channel.md.
import { ChannelClosedError } from "./errors.js";
import { DONE, READER, type Outcome, type Reader } from "./internal/reader.js";
import { isCancellable } from "./internal/abort.js";
import { cancelReasonOf, checkCount, checkOptionalSignal, checkOptions, onCancel, onTaskEnd, type Cancellable } from "@nursery/core/adapter";


/** The old options argument, checked: its signal, if any. */
function optionsSignal(options: unknown): AbortSignal | undefined {
  checkOptions("options", options);
  return checkOptionalSignal("options.signal", (options as ChannelOperationOptions | undefined)?.signal);
}
import { iterate, type TaskIterator } from "./iterate.js";

/** Options of {@link Channel.send} and {@link Channel.receive}. */
export interface ChannelOperationOptions {
  /** The task's signal: a wait it interrupts rejects with `signal.reason` and moves no item. */
  signal?: AbortSignal | undefined;
}

/**
 * A bounded channel made by {@link channel}. Any number of tasks may send and receive on it; each
 * item is received exactly once, in the order sent. Async iteration (`for await`, or
 * `iterate(task, ch)` to make it cancellable) receives until the channel is closed and drained.
 */
export interface Channel<T> extends AsyncIterable<T> {
  /** How many items the buffer holds before `send()` waits. */
  readonly capacity: number;
  /** Items currently buffered. */
  readonly size: number;
  /** Whether `close()` was called (buffered items can still be received). */
  readonly closed: boolean;
  /**
   * Puts `value` in the channel, waiting while it is full. Resolves once the item is in the buffer
   * or handed to a waiting receiver. Rejects with `ChannelClosedError` if the channel is closed
   * before that, and with the cancellation reason if `source` is cancelled first; in both cases the
   * item was not enqueued. If `source` is a task that ends while the send waits, the send is
   * withdrawn and rejects with `ChannelClosedError`.
   */
  send(source: Cancellable, value: T): Promise<void>;
  /** @deprecated Write `send(task, value)`: the cancellation source comes first (api-cancellation-source.md). */
  send(value: T, options?: ChannelOperationOptions): Promise<void>;
  /**
   * Takes the oldest item, waiting while the channel is empty. Rejects with `ChannelClosedError`
   * once the channel is closed and drained, and with the cancellation reason if `source` is
   * cancelled first (no item was taken). If `source` is a task that ends while the receive waits,
   * it is withdrawn and rejects with `ChannelClosedError`.
   */
  receive(source?: Cancellable | ChannelOperationOptions): Promise<T>;
  /**
   * Closes the channel: pending and later sends reject with `ChannelClosedError`; receivers drain
   * the buffered items, then end. Synchronous and idempotent.
   */
  close(): void;
  /** Receives until the channel is closed and drained; leaving the loop early closes nothing. */
  [Symbol.asyncIterator](): TaskIterator<T>;
}

interface SendWaiter<T> {
  readonly value: T;
  accept(): void;
  refuse(error: unknown): void;
}

interface ReceiveWaiter<T> {
  deliver(value: T): void;
  end(): void;
}

/**
 * Creates a bounded channel of `capacity` items for passing values between tasks with
 * backpressure: producers wait when it is full, consumers wait when it is empty, and both waits end
 * with their task's cancellation without losing or duplicating an item.
 *
 * Use it to connect a producer nursery to a consumer nursery (fan-in, fan-out, work queues). Close
 * it once every producer is done (typically right after the producers' nursery settles); consumers
 * then drain what is left and their loops end.
 *
 * A `capacity` that is not an integer >= 1 throws a `TypeError`.
 *
 * @example
 * ```ts
 * const jobs = channel<string>(16);
 * await nursery(async (n) => {
 *   for (let i = 0; i < 2; i++)
 *     n.spawn(async (task) => { for await (const url of iterate(task, jobs)) await crawl(task, url) });
 *   await nursery(async (producers) => {
 *     for (const feed of feeds) producers.spawn(async (task) => { for (const url of feed) await jobs.send(task, url) });
 *   });
 *   jobs.close();
 * });
 * ```
 */
export function channel<T>(capacity: number): Channel<T> {
  checkCount("capacity", capacity, 1);
  return new MemoryChannel<T>(capacity);
}

class MemoryChannel<T> implements Channel<T> {
  readonly capacity: number;
  #closed = false;
  readonly #buffer: T[] = [];
  readonly #senders = new Set<SendWaiter<T>>();
  readonly #receivers = new Set<ReceiveWaiter<T>>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#buffer.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(...args: [source: Cancellable, value: T] | [value: T, options?: ChannelOperationOptions | undefined]): Promise<void> {
    // `send(task, value)`, or the older `send(value, { signal })`.
    const sourceFirst = args.length === 2 && isCancellable(args[0]);
    const value = (sourceFirst ? args[1] : args[0]) as T;
    const signal = sourceFirst ? (args[0] as Cancellable) : optionsSignal(args[1]);
    const early = signal === undefined ? undefined : cancelReasonOf(signal);
    if (early !== undefined) return Promise.reject(early);
    if (this.#closed) return Promise.reject(new ChannelClosedError("cannot send: channel is closed"));
    const receiver = first(this.#receivers);
    if (receiver !== undefined) {
      this.#receivers.delete(receiver);
      receiver.deliver(value);
      return Promise.resolve();
    }
    if (this.#buffer.length < this.capacity) {
      this.#buffer.push(value);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let remove: (() => void) | undefined;
      const waiter: SendWaiter<T> = {
        value,
        accept() {
          remove?.();
          resolve();
        },
        refuse(error) {
          remove?.();
          reject(error);
        },
      };
      this.#senders.add(waiter);
      if (signal !== undefined) {
        const removeCancel = onCancel(signal, (reason) => {
          if (this.#senders.delete(waiter)) waiter.refuse(reason);
        });
        // A wait left pending when its task returns is withdrawn: the item is not enqueued later,
        // by a task that no longer exists (api-cancellation-source.md, "Waits end with their task").
        const removeEnd = onTaskEnd(signal, () => {
          if (this.#senders.delete(waiter)) waiter.refuse(new ChannelClosedError("cannot send: the sending task ended while the send waited"));
        });
        remove = () => {
          removeCancel();
          removeEnd();
        };
      }
    });
  }

  receive(source?: Cancellable | ChannelOperationOptions): Promise<T> {
    // `receive(task)`; `receive({ signal })` reads the same in both conventions.
    const signal = isCancellable(source) ? source : optionsSignal(source);
    const early = signal === undefined ? undefined : cancelReasonOf(signal);
    if (early !== undefined) return Promise.reject(early);
    const taken = this.#take();
    if (taken !== undefined) return Promise.resolve(taken.value);
    if (this.#closed) return Promise.reject(new ChannelClosedError("channel is closed and drained"));
    return new Promise<T>((resolve, reject) => {
      let remove: (() => void) | undefined;
      const waiter: ReceiveWaiter<T> = {
        deliver(value) {
          remove?.();
          resolve(value);
        },
        end() {
          remove?.();
          reject(new ChannelClosedError("channel is closed and drained"));
        },
      };
      this.#receivers.add(waiter);
      if (signal !== undefined) {
        const removeCancel = onCancel(signal, (reason) => {
          if (this.#receivers.delete(waiter)) {
            remove?.();
            reject(reason);
          }
        });
        // As for send: a receive left pending by a task that returned takes no item later.
        const removeEnd = onTaskEnd(signal, () => {
          if (this.#receivers.delete(waiter)) {
            remove?.();
            reject(new ChannelClosedError("the receiving task ended while the receive waited"));
          }
        });
        remove = () => {
          removeCancel();
          removeEnd();
        };
      }
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const refused = new ChannelClosedError("cannot send: channel was closed while the send waited");
    for (const sender of this.#senders) sender.refuse(refused);
    this.#senders.clear();
    // Receivers wait only on an empty buffer: there is nothing left for them.
    for (const receiver of this.#receivers) receiver.end();
    this.#receivers.clear();
  }

  [Symbol.asyncIterator](): TaskIterator<T> {
    return iterate<T>(this);
  }

  [READER](): Reader<T> {
    return new ChannelReader(this.#receivers, () => this.#take(), () => this.#closed);
  }

  // Takes the oldest buffered item and refills the freed slot from the oldest waiting sender.
  #take(): { value: T } | undefined {
    if (this.#buffer.length === 0) return undefined;
    const value = this.#buffer.shift() as T;
    const sender = first(this.#senders);
    if (sender !== undefined) {
      this.#senders.delete(sender);
      this.#buffer.push(sender.value);
      sender.accept();
    }
    return { value };
  }
}

// One consumer's view of the channel for iterate(): the same queue as receive(), settled
// synchronously, so a withdrawn read never took an item. Closing it leaves the channel open.
class ChannelReader<T> implements Reader<T> {
  readonly #receivers: Set<ReceiveWaiter<T>>;
  readonly #take: () => { value: T } | undefined;
  readonly #isClosed: () => boolean;
  #waiter: ReceiveWaiter<T> | undefined;

  constructor(receivers: Set<ReceiveWaiter<T>>, take: () => { value: T } | undefined, isClosed: () => boolean) {
    this.#receivers = receivers;
    this.#take = take;
    this.#isClosed = isClosed;
  }

  read(settle: (outcome: Outcome<T>) => void): void {
    const taken = this.#take();
    if (taken !== undefined) {
      settle({ result: { done: false, value: taken.value } });
      return;
    }
    if (this.#isClosed()) {
      settle({ result: DONE });
      return;
    }
    const waiter: ReceiveWaiter<T> = {
      deliver: (value) => {
        this.#waiter = undefined;
        settle({ result: { done: false, value } });
      },
      end: () => {
        this.#waiter = undefined;
        settle({ result: DONE });
      },
    };
    this.#waiter = waiter;
    this.#receivers.add(waiter);
  }

  withdraw(): undefined {
    if (this.#waiter !== undefined) this.#receivers.delete(this.#waiter);
    this.#waiter = undefined;
    return undefined;
  }

  close(): Promise<void> {
    this.withdraw();
    return Promise.resolve();
  }

  release(): void {
    this.withdraw();
  }

  finish(): void {}
}

function first<V>(set: Set<V>): V | undefined {
  for (const value of set) return value;
  return undefined;
}
