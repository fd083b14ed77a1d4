// Timed waits bound to an AbortSignal or to a task: the engine under `sleep` and `interval`.
//
// Goal: a wait settles exactly once, by its timer (resolve), by its signal aborting (reject with
// `signal.reason` itself, no wrapper) or by `stop()` (resolve, used by `interval`'s `return()`),
// and whichever way it settles its timer is cleared and it holds nothing on the signal afterwards.
//
// Why not one abort listener per wait: Node's EventTarget walks the whole listener list on every
// addEventListener/removeEventListener, so N concurrent waits on one shared signal cost O(N^2)
// (100k `timers/promises` sleeps on one signal: 133 s on Node 20, see the research notes). Instead
// every signal with pending waits carries exactly ONE listener, a `SignalWaiters` list; a wait links
// itself in and out in O(1). The listener is added when the first wait links in and removed when the
// last one leaves, so the signal's listener count returns to its baseline whenever no wait is
// pending. See docs/design/decisions/timers-shared-signal-listener.md.
//
// Cheapness: one wait object and one promise per wait; the timer callback (and, for a task, the
// cancel hook) is a bound function rather than a closure; the abort listener is one bound function per
// list of waits, added through core's `onCancel`. A task-bound wait (`TaskWait`) is leaner still: every
// sleeping task holds one (bench scenario 3b: 1,351 B per sleeping task, 1,469 B before).
import { isAbortSignal, onCancel, type Cancellable, type Clock, type TaskContext, type TimerHandle } from "@nursery/core";

/** Every pending wait on one signal, oldest first, and the one abort listener that serves them. */
class SignalWaiters {
  // Invariant: the listener is registered on `signal` (and `removeListener` set) exactly when
  // `head !== undefined`.
  head: Waiter | undefined = undefined;
  tail: Waiter | undefined = undefined;
  removeListener: (() => void) | undefined = undefined;
  readonly rejectAll: (reason: unknown) => void;

  constructor(readonly signal: AbortSignal) {
    this.rejectAll = rejectAll.bind(this);
  }

  link(w: Waiter): void {
    w.list = this;
    if (this.tail === undefined) {
      this.head = this.tail = w;
      this.removeListener = onCancel(this.signal, this.rejectAll);
    } else {
      w.prev = this.tail;
      this.tail.next = w;
      this.tail = w;
    }
  }

  unlink(w: Waiter): void {
    if (w.prev === undefined) this.head = w.next;
    else w.prev.next = w.next;
    if (w.next === undefined) this.tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = w.next = w.list = undefined;
    if (this.head === undefined) {
      this.removeListener?.();
      this.removeListener = undefined;
    }
  }
}

/** The abort listener of a list: rejects every pending wait, oldest first, with the signal's reason. */
function rejectAll(this: SignalWaiters, reason: unknown): void {
  let w = this.head;
  this.head = this.tail = undefined;
  this.removeListener = undefined; // it fired, and onCancel removed it
  while (w !== undefined) {
    const next = w.next;
    w.prev = w.next = w.list = undefined;
    w.clock.clearTimer(w.timer as TimerHandle);
    w.settled = true;
    w.reject(reason);
    w = next;
  }
}

// Entries live as long as their signal; a list with no waits is empty but kept for reuse.
const lists = new WeakMap<AbortSignal, SignalWaiters>();

/** One pending timed wait bound to a signal. `promise` resolves when the timer fires or `stop()` is called. */
export class Waiter {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (reason: unknown) => void;
  timer: TimerHandle | undefined = undefined;
  list: SignalWaiters | undefined = undefined;
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  settled = false;
  /** Set for a wait bound to a task through `onCancel` (startSourceWait), instead of `list`. */
  removeHook: (() => void) | undefined = undefined;

  constructor(readonly clock: Clock) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Timer callback. */
  fire(): void {
    if (this.settled) return;
    this.settled = true;
    this.list?.unlink(this);
    this.removeHook?.();
    this.resolve();
  }

  /** Ends the wait early and successfully: clears the timer, leaves the signal. */
  stop(): void {
    if (this.settled) return;
    this.settled = true;
    this.clock.clearTimer(this.timer as TimerHandle);
    this.list?.unlink(this);
    this.removeHook?.();
    this.resolve();
  }
}

/** The cancel hook of a Waiter bound to a task (startSourceWait). */
function cancelWaiter(this: Waiter, reason: unknown): void {
  if (this.settled) return;
  this.settled = true;
  this.removeHook = undefined; // it fired, and onCancel removed it
  this.clock.clearTimer(this.timer as TimerHandle);
  this.reject(reason);
}

/**
 * `startWait` for any Cancellable: a signal shares its one listener list; anything else (a task,
 * a scope context) is followed through core's `onCancel`, which creates no AbortSignal for a task.
 * The caller has checked that `source` is not cancelled (`cancelReasonOf`).
 */
export function startSourceWait(ms: number, source: Cancellable, clock: Clock): Waiter {
  if (isAbortSignal(source)) return startWait(ms, source, clock);
  const w = startWait(ms, undefined, clock);
  if (!w.settled) w.removeHook = onCancel(source, cancelWaiter.bind(w));
  return w;
}

/**
 * A wait bound to a task through core's `onCancel`: no AbortSignal is created for the task and
 * nothing is added to any signal, which makes a sleeping task cheap (see
 * docs/design/decisions/core-task-start.md). Leaner than `Waiter` (no list links, the promise not
 * kept) because every sleeping task holds one.
 */
class TaskWait {
  settled = false;
  timer: TimerHandle | undefined = undefined;
  removeHook: (() => void) | undefined = undefined;
  resolve!: () => void;
  reject!: (reason: unknown) => void;

  constructor(readonly clock: Clock) {}
}

// Timer and cancellation callbacks of a TaskWait, bound to it: two bound functions (48 B each)
// instead of two closures and their context (~150 B).
function fireTaskWait(this: TaskWait): void {
  if (this.settled) return;
  this.settled = true;
  this.removeHook?.();
  this.resolve();
}

function cancelTaskWait(this: TaskWait, reason: unknown): void {
  if (this.settled) return;
  this.settled = true;
  this.clock.clearTimer(this.timer as TimerHandle);
  this.reject(reason);
}

/** Starts a wait of `ms` on `clock` bound to `task`; the caller has checked the task is not cancelled. */
export function startTaskWait(ms: number, task: TaskContext, clock: Clock): Promise<void> {
  const w = new TaskWait(clock);
  const promise = new Promise<void>((resolve, reject) => {
    w.resolve = resolve;
    w.reject = reject;
  });
  w.timer = clock.setTimer(ms, fireTaskWait.bind(w));
  // `!w.settled`: a custom clock may call back synchronously from setTimer(0).
  if (!w.settled) w.removeHook = onCancel(task, cancelTaskWait.bind(w));
  return promise;
}

/**
 * Starts a wait of `ms` on `clock`, bound to `signal`. The caller has validated the arguments and
 * checked that `signal` is not aborted.
 */
export function startWait(ms: number, signal: AbortSignal | undefined, clock: Clock): Waiter {
  const w = new Waiter(clock);
  w.timer = clock.setTimer(ms, w.fire.bind(w)); // bound: no closure and context per wait
  // `!w.settled`: a custom clock may call back synchronously from setTimer(0).
  if (signal !== undefined && !w.settled) {
    let list = lists.get(signal);
    if (list === undefined) {
      list = new SignalWaiters(signal);
      lists.set(signal, list);
    }
    list.link(w);
  }
  return w;
}
