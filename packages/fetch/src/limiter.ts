// A concurrency limit shared by any number of tasks. Invariants, per bucket (one bucket, or one per
// host with `perHost`):
//   - `active` never exceeds `limit`: a released slot goes straight to the oldest waiter (hand-off),
//     so a newcomer can never overtake the queue and `active` never dips below and back up;
//   - every entry in `waiters` is a pending `acquire()` whose signal has not aborted; an aborted
//     waiter removes itself (and its listener) in the same tick, so cancellation leaves nothing behind;
//   - a bucket with no active slot and no waiter is deleted, so a crawler visiting a million hosts
//     keeps a map the size of its current working set.
// Waiters are kept in an insertion-ordered Set: O(1) removal on cancellation, FIFO hand-off.
import { onCancel } from "@nursery/core";
import { checkBoolean, checkCount, checkOptionalSignal, checkOptions, invalidArgument as invalid } from "@nursery/core/adapter";

/** Options of {@link Limiter}. */
export interface LimiterOptions {
  /** How many slots may be held at once (per host with `perHost`). An integer >= 1, or `Infinity`. */
  limit: number;
  /** Count each host (`hostname:port`) separately. Default `false`: one limit for everything. */
  perHost?: boolean;
}

/** Options of {@link Limiter.acquire}. A task context fits: `limiter.acquire(task)`. */
export interface AcquireOptions {
  /** Cancels the wait for a slot. Pass the task's `signal`. */
  signal?: AbortSignal;
  /** The host the slot is for; required by a `perHost` limiter, ignored otherwise. */
  host?: string;
}

/**
 * A held slot of a {@link Limiter}. Release it exactly when the work it guards is over; `release()`
 * is idempotent, and `using slot = await limiter.acquire(task)` releases it at the end of the block.
 */
export interface LimiterSlot extends Disposable {
  /** Gives the slot back (to the oldest waiter, if any). Calling it again does nothing. */
  release(): void;
}

interface Waiter {
  resolve(slot: LimiterSlot): void;
  /** Removes the waiter's abort listener. */
  stopListening(): void;
}

interface Bucket {
  readonly key: string;
  active: number;
  /** Pending, not-aborted acquisitions, oldest first. */
  readonly waiters: Set<Waiter>;
}

/**
 * A concurrency limit that many tasks share: at most `limit` slots are held at once (per host with
 * `perHost: true`), and the rest wait in FIFO order.
 *
 * Use one limiter for a crawler's whole run and pass it to every `fetch(task, url, { limiter })`,
 * whichever task makes the request: a request holds its slot from the moment it is sent until its
 * response body has been read to the end, cancelled, or failed. `acquire()` guards any other work.
 *
 * - Waiting is cancellable: when the waiter's signal aborts, `acquire()` rejects with
 *   `signal.reason` and the waiter is gone from the queue (no entry, no listener left behind).
 * - Bad input: `TypeError` for a `limit` that is not an integer >= 1 (or `Infinity`).
 *
 * @example
 * ```ts
 * const limiter = new Limiter({ limit: 8, perHost: true });
 * await nursery(async (n) => {
 *   for (const url of urls) {
 *     n.spawn(async (task) => {
 *       const res = await fetch(task, url, { limiter });
 *       pages.set(url, await res.text()); // the slot is released when the body is read
 *     });
 *   }
 * });
 * ```
 */
export class Limiter {
  /** The number of slots per bucket. */
  readonly limit: number;
  /** Whether each host has its own `limit` slots. */
  readonly perHost: boolean;
  readonly #buckets = new Map<string, Bucket>();
  #active = 0;
  #waiting = 0;

  constructor(options: LimiterOptions) {
    if (typeof options !== "object" || options === null) throw invalid("options", "an options object", options);
    this.limit = checkCount("limit", options.limit, 1, true);
    this.perHost = checkBoolean("perHost", options.perHost, false);
  }

  /** Slots held right now, over all hosts. */
  get active(): number {
    return this.#active;
  }

  /** `acquire()` calls waiting for a slot right now, over all hosts. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Waits for a free slot and holds it.
   *
   * - Success: resolves with the slot at once when one is free, else when an earlier holder
   *   releases one (oldest waiter first).
   * - Cancellation: rejects at once with `signal.reason` when `signal` is already aborted (taking
   *   nothing); when it aborts while waiting, rejects with `signal.reason` and leaves the queue.
   * - Bad input: `TypeError` for a bad `signal`, or a missing `host` on a `perHost` limiter.
   *
   * @example
   * ```ts
   * using slot = await limiter.acquire(task); // released at the end of the block
   * await render(task);
   * ```
   */
  acquire(options?: AcquireOptions): Promise<LimiterSlot> {
    try {
      checkOptions("options", options);
      const signal = checkOptionalSignal("signal", options?.signal);
      const host = options?.host;
      if (this.perHost && typeof host !== "string") throw invalid("host", "a string (this limiter counts per host)", host);
      if (host !== undefined && typeof host !== "string") throw invalid("host", "a string", host);
      if (signal?.aborted) return Promise.reject(signal.reason);
      const bucket = this.#bucket(this.perHost ? (host as string) : "");
      if (bucket.active < this.limit) {
        bucket.active++;
        this.#active++;
        return Promise.resolve(this.#slot(bucket));
      }
      return this.#wait(bucket, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #bucket(key: string): Bucket {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { key, active: 0, waiters: new Set() };
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  #wait(bucket: Bucket, signal: AbortSignal | undefined): Promise<LimiterSlot> {
    return new Promise<LimiterSlot>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        stopListening:
          signal === undefined
            ? () => {}
            : onCancel(signal, (reason) => {
                bucket.waiters.delete(waiter);
                this.#waiting--;
                this.#dropIfIdle(bucket);
                reject(reason);
              }),
      };
      bucket.waiters.add(waiter);
      this.#waiting++;
    });
  }

  #slot(bucket: Bucket): LimiterSlot {
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.#release(bucket);
    };
    return { release, [Symbol.dispose]: release };
  }

  #release(bucket: Bucket): void {
    const next: Waiter | undefined = bucket.waiters.values().next().value;
    if (next !== undefined) {
      // Hand-off: the slot stays counted in `active` and passes to the oldest waiter.
      bucket.waiters.delete(next);
      this.#waiting--;
      next.stopListening();
      next.resolve(this.#slot(bucket));
      return;
    }
    bucket.active--;
    this.#active--;
    this.#dropIfIdle(bucket);
  }

  #dropIfIdle(bucket: Bucket): void {
    if (bucket.active === 0 && bucket.waiters.size === 0) this.#buckets.delete(bucket.key);
  }
}
