// A clock whose time moves only when a test says so (advance) or, with autojump, whenever the
// program is idle and waiting on the clock (trio's autojump clock). Timers are kept in a binary
// heap ordered by due time, then by creation order, so equal deadlines fire in the order set.
import type { Clock, TimerHandle } from "../clock.js";
import { checkDuration, checkFunction, checkOptions, invalid } from "../internal/validate.js";

interface VirtualTimer {
  due: number;
  seq: number;
  callback: (() => void) | undefined; // undefined once fired or cleared
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A {@link Clock} for tests: hour-long schedules run in milliseconds. Pass it as the `clock` option
 * of nurseries, deadline scopes and adapters; nothing global is patched.
 *
 * - `advance(ms)` moves time forward, firing due timers in order and letting promise callbacks and
 *   immediates run after each, so code awaiting a timer continues before the next one fires.
 * - `autojump()` moves time by itself: when the program has been idle (no clock activity for a few
 *   event-loop turns, or `threshold` real ms) and timers are pending, it jumps to the next one.
 *   Real I/O in flight is not "activity": give a threshold when tests mix autojump with sockets.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const done = nursery((n) => { n.spawn((t) => sleep(t, 3_600_000)) }, { clock }); // t.clock is clock
 * await clock.advance(3_600_000);
 * await done;
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: VirtualTimer[] = [];
  #pending = 0;
  #activity = 0;
  #autojump = false;
  #threshold = 0;
  #watching = false;

  constructor(options?: { now?: number; autojump?: boolean | { threshold?: number } }) {
    checkOptions("options", options);
    const start = options?.now ?? 0;
    if (typeof start !== "number" || !Number.isFinite(start)) throw invalid("now", "a finite number", start);
    this.#now = start;
    const jump: unknown = options?.autojump;
    if (jump !== undefined && typeof jump !== "boolean" && (typeof jump !== "object" || jump === null)) {
      throw invalid("autojump", "a boolean or { threshold }", jump);
    }
    if (options?.autojump !== undefined && options.autojump !== false) {
      this.autojump(options.autojump === true ? true : options.autojump);
    }
  }

  now(): number {
    return this.#now;
  }

  /** Number of timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#pending;
  }

  /** Due time of the next timer, or `undefined` when none is pending. */
  get nextDue(): number | undefined {
    this.#dropDead();
    return this.#heap[0]?.due;
  }

  setTimer(ms: number, callback: () => void): TimerHandle {
    checkDuration("ms", ms);
    checkFunction("callback", callback);
    const timer: VirtualTimer = { due: this.#now + ms, seq: this.#seq++, callback: undefined };
    this.#activity++;
    if (ms === Infinity) return timer;
    timer.callback = callback;
    this.#push(timer);
    this.#pending++;
    this.#watch();
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as VirtualTimer;
    if (timer?.callback === undefined) return;
    timer.callback = undefined;
    this.#pending--;
    this.#activity++;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    checkDuration("ms", ms);
    if (ms === Infinity) throw invalid("ms", "a finite number >= 0", ms);
    const target = this.#now + ms;
    await this.#settle();
    for (;;) {
      this.#dropDead();
      const next = this.#heap[0];
      if (next === undefined || next.due > target) break;
      this.#fire(this.#pop() as VirtualTimer);
      await this.#settle();
    }
    // Never backwards: an advance() running concurrently may already have gone past `target`.
    if (target > this.#now) this.#now = target;
    await this.#settle();
  }

  /** Fires every pending timer, including ones set while running, until none is left. */
  async runAll(options?: { limit?: number }): Promise<void> {
    checkOptions("options", options);
    const limit = options?.limit ?? 100_000;
    if (typeof limit !== "number" || !(limit >= 0)) throw invalid("limit", "a number >= 0", limit);
    await this.#settle();
    for (let fired = 0; ; fired++) {
      this.#dropDead();
      const next = this.#pop();
      if (next === undefined) return;
      if (fired >= limit) throw new Error(`VirtualClock.runAll: more than ${limit} timers fired; a timer keeps rescheduling itself`);
      this.#fire(next);
      await this.#settle();
    }
  }

  /**
   * Turns autojump on (default) or off. With `threshold`, the program must have been idle that
   * many real milliseconds before time jumps (use it when real I/O is in flight).
   */
  autojump(enabled: boolean | { threshold?: number } = true): void {
    if (typeof enabled !== "boolean" && (typeof enabled !== "object" || enabled === null)) {
      throw invalid("enabled", "a boolean or { threshold }", enabled);
    }
    if (typeof enabled === "object") {
      this.#threshold = checkDuration("threshold", enabled.threshold ?? 0);
      this.#autojump = true;
    } else {
      this.#autojump = enabled;
    }
    this.#watch();
  }

  #fire(timer: VirtualTimer): void {
    const callback = timer.callback;
    if (callback === undefined) return;
    timer.callback = undefined;
    this.#pending--;
    this.#activity++;
    if (timer.due > this.#now) this.#now = timer.due;
    callback();
  }

  async #settle(): Promise<void> {
    await turn();
    await turn();
  }

  #watch(): void {
    if (!this.#autojump || this.#watching || this.#pending === 0) return;
    this.#watching = true;
    void this.#idleLoop();
  }

  async #idleLoop(): Promise<void> {
    try {
      while (this.#autojump && this.#pending > 0) {
        const seen = this.#activity;
        const since = performance.now();
        let idle = true;
        for (let i = 0; i < 4 || performance.now() - since < this.#threshold; i++) {
          await (this.#threshold > 0 ? new Promise((r) => setTimeout(r, 1)) : turn());
          if (this.#activity !== seen) {
            idle = false;
            break;
          }
        }
        if (!idle || !this.#autojump) continue;
        this.#dropDead();
        const next = this.#pop();
        if (next === undefined) break;
        const due = next.due;
        this.#fire(next);
        // Timers due at the same instant fire together, as they would on a real clock.
        for (this.#dropDead(); this.#heap[0] !== undefined && this.#heap[0].due === due; this.#dropDead()) {
          this.#fire(this.#pop() as VirtualTimer);
        }
      }
    } finally {
      this.#watching = false;
    }
  }

  #dropDead(): void {
    while (this.#heap.length > 0 && (this.#heap[0] as VirtualTimer).callback === undefined) this.#pop();
  }

  #push(timer: VirtualTimer): void {
    const heap = this.#heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent] as VirtualTimer)) break;
      heap[i] = heap[parent] as VirtualTimer;
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): VirtualTimer | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const child = r < heap.length && before(heap[r] as VirtualTimer, heap[l] as VirtualTimer) ? r : l;
      if (!before(heap[child] as VirtualTimer, last)) break;
      heap[i] = heap[child] as VirtualTimer;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
