// A periodic timer as an async iterator, with a fixed policy for missed ticks.
//
// Invariant: ticks are due at `start + k * period` (k = 1, 2, ...), computed from `start` each time,
// so they never drift. A timer and an abort listener exist only while a `next()` call is pending:
// while the loop body runs, the iterator holds nothing, so `break` has nothing to leak and an
// iterator dropped without `return()` leaks nothing either.
//
// Missed ticks are skipped, not burst: when `next()` is called after several ticks came due (the
// loop body was slow), it yields once, at once, for the latest due tick and reports how many it
// skipped in `missed`; the next tick is the next grid point. `timers/promises`' setInterval
// instead queues every missed tick and yields them back-to-back. See
// docs/design/decisions/timers-missed-ticks.md.
import { cancelReasonOf, realClock, type Cancellable, type Clock } from "@nursery/core";
import { sourceOf } from "./internal/source.js";
import { startSourceWait, startWait, type Waiter } from "./internal/waiter.js";
import { checkNumber, checkOptionalClock, checkOptionalSignal, checkOptions } from "@nursery/core/adapter";
import type { SleepOptions } from "./sleep.js";

/** One tick of an {@link interval}. */
export interface Tick {
  /** Which grid point this is: the tick due at `start + index * period`. Starts at 1. */
  readonly index: number;
  /** When this tick was due, on the clock's scale (`clock.now()`). */
  readonly scheduledAt: number;
  /** How many ticks since the previous yield were skipped because the consumer was late. */
  readonly missed: number;
}

/** What {@link interval} returns: an async iterator of ticks whose `return()` always exists. */
export interface IntervalIterator extends AsyncIterator<Tick, undefined, undefined> {
  next(): Promise<IteratorResult<Tick, undefined>>;
  /** Ends the iteration; a pending `next()` resolves done and its timer is cleared. */
  return(): Promise<IteratorReturnResult<undefined>>;
  [Symbol.asyncIterator](): IntervalIterator;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

class Ticker implements IntervalIterator {
  readonly #period: number;
  readonly #start: number;
  /** Listened to through `onCancel`/`cancelReasonOf`: a task's AbortSignal is never created. */
  readonly #source: Cancellable | undefined;
  readonly #clock: Clock;
  #last = 0; // index of the last tick yielded
  #done = false;
  #waiter: Waiter | undefined = undefined; // set exactly while a next() waits for a timer
  #pending = 0; // next() calls not yet settled
  #newest: Promise<unknown> | undefined = undefined; // the newest of them

  constructor(period: number, source: Cancellable | undefined, clock: Clock) {
    this.#period = period;
    this.#source = source;
    this.#clock = clock;
    this.#start = clock.now();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Tick, undefined>> {
    // Calls made while an earlier next() is pending are answered in call order, like an async
    // generator's; the usual `for await` loop never has more than one pending.
    const step = (): Promise<IteratorResult<Tick, undefined>> => this.#step();
    const result = this.#pending === 0 ? this.#step() : (this.#newest as Promise<unknown>).then(step, step);
    this.#pending++;
    this.#newest = result;
    const settled = (): void => {
      this.#pending--;
    };
    result.then(settled, settled);
    return result;
  }

  #step(): Promise<IteratorResult<Tick, undefined>> {
    if (this.#done) return Promise.resolve(DONE);
    const source = this.#source;
    const reason = source === undefined ? undefined : cancelReasonOf(source);
    if (reason !== undefined) return Promise.reject(reason);
    const now = this.#clock.now();
    const due = this.#dueAt(this.#last + 1);
    if (now >= due) return Promise.resolve({ done: false, value: this.#tick(now) });
    const waiter = source === undefined ? startWait(due - now, undefined, this.#clock) : startSourceWait(due - now, source, this.#clock);
    this.#waiter = waiter;
    return waiter.promise.then(
      (): IteratorResult<Tick, undefined> => {
        this.#waiter = undefined;
        return this.#done ? DONE : { done: false, value: this.#tick(this.#clock.now()) };
      },
      (reason: unknown) => {
        this.#waiter = undefined;
        throw reason;
      },
    );
  }

  /** Ends the iteration: a pending `next()` resolves done, its timer is cleared. */
  return(): Promise<IteratorReturnResult<undefined>> {
    this.#done = true;
    this.#waiter?.stop();
    return Promise.resolve(DONE);
  }

  #dueAt(index: number): number {
    return this.#start + index * this.#period;
  }

  #tick(now: number): Tick {
    // The latest grid point at or before `now`, but at least the next one: a real timer may fire a
    // fraction of a millisecond before its due time.
    let index = Math.floor((now - this.#start) / this.#period);
    if (this.#dueAt(index + 1) <= now) index++; // floating-point rounding just below a grid point
    if (index <= this.#last) index = this.#last + 1;
    const missed = index - this.#last - 1;
    this.#last = index;
    return { index, scheduledAt: this.#dueAt(index), missed };
  }
}

/**
 * A periodic timer as an async iterator: yields a {@link Tick} every `ms` milliseconds until the
 * loop breaks or `source` is cancelled.
 *
 * Use it for polling, heartbeats, periodic flushes: `for await (const tick of interval(task, ms))`.
 * `source` is any `Cancellable` (a task, a scope context, an `AbortSignal`); its clock is used
 * unless `options.clock` is given. The older `interval(ms, { signal, clock })` is deprecated.
 *
 * - Schedule: ticks are due at `start + k * ms` (k = 1, 2, ...), where `start` is `clock.now()`
 *   when `interval()` is called; the first tick comes one period after the call. The schedule does
 *   not drift, however long each loop body takes.
 * - Missed ticks are skipped, not burst: if the loop body overruns one or more periods, the next
 *   `next()` yields at once for the latest due tick, with `missed` counting the ones skipped, and the
 *   tick after that is the next point on the schedule.
 * - Resources: a timer and one abort listener exist only while a `next()` call is waiting, so
 *   `break` (which calls `return()`), an exception in the loop body, or cancellation leaves no timer
 *   and no listener. `return()` during a pending `next()` resolves it as done and clears its timer.
 * - Cancellation: `next()` rejects with the source's reason itself when it is cancelled while
 *   `next()` waits, and at once when it already is, so a `for await` loop throws the task's
 *   cancellation.
 * - Bad input: throws `TypeError` synchronously when `ms` is not a finite number > 0, or when an
 *   option has the wrong type.
 *
 * @example
 * ```ts
 * n.spawn(async (task) => {
 *   for await (const tick of interval(task, 5_000)) {
 *     if (tick.missed > 0) log.warn(`heartbeat late, skipped ${tick.missed}`);
 *     await sendHeartbeat(task);
 *   }
 * });
 * ```
 */
export function interval(source: Cancellable, ms: number, options?: { clock?: Clock }): IntervalIterator;
/** @deprecated Write `interval(task, ms)`: the cancellation source comes first (api-cancellation-source.md). */
export function interval(ms: number, options?: SleepOptions): IntervalIterator;
export function interval(first: Cancellable | number, second?: number | SleepOptions, third?: { clock?: Clock }): IntervalIterator {
  if (typeof first !== "object" || first === null) return intervalOld(first, second as SleepOptions | undefined);
  checkNumber("ms", second, { min: 0, above: true });
  checkOptions("options", third);
  const clock = checkOptionalClock("clock", third?.clock) ?? sourceOf(first).clock ?? realClock;
  return new Ticker(second as number, first, clock);
}

function intervalOld(ms: number, options?: SleepOptions): IntervalIterator {
  // A finite period > 0: a zero period would tick in a busy loop.
  checkNumber("ms", ms, { min: 0, above: true });
  checkOptions("options", options);
  const signal = checkOptionalSignal("signal", options?.signal);
  const clock = checkOptionalClock("clock", options?.clock) ?? realClock;
  return new Ticker(ms, signal, clock);
}
