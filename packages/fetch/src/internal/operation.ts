// One call of `fetch(task, ...)`, from the call until the response body is read to the end,
// cancelled, or failed (or the call rejects). It owns everything the call holds, and `finish()`
// gives all of it back in one place:
//   - exactly one cancellation listener on the owner, and one on `extraSignal` when given, both
//     through core's `onCancel` (for a core task: a hook on the task, so its AbortSignal is never
//     created; for a signal or a `{ signal }` owner: one abort listener on that signal);
//   - an end-of-task callback on the owner (core's `onTaskEnd`): when the task returns or throws,
//     the operation is aborted with `TaskEndedError`, so nothing it holds outlives the task. An
//     unread body used to keep its limiter slot and socket until a garbage collection found it;
//     a wait for a slot or a backoff used to run to its end;
//   - the `deadline` timer;
//   - the limiter slot of the current attempt;
//   - the AbortController of the current attempt, the signal undici sees.
// Invariant: after `finish()` nothing of the above is held, and a later cancellation of the task
// cannot reach this request (a settled request is never aborted).
//
// Why not `AbortSignal.any([task.signal, extraSignal, timeoutSignal])`: on Node 20 it retains about
// 1 KB per call on a long-lived input signal (nodejs/node#55351, fixed in 22.12 only), and a task's
// signal lives as long as the task; a crawler task making 100k requests would leak 100 MB. Nor is
// the task's signal handed to undici directly: undici removes its listener only when the Request is
// garbage-collected, so listeners would pile up on the task's signal (nodejs/undici#3157).
// Instead each attempt gets a private AbortController that `abort()` aborts directly.
//
// The attempt's Request is held here until the operation finishes. undici's Request follows the
// signal it was given through a *weakly* held controller; once the Request object is
// garbage-collected (which happens while a long body streams: nothing else refers to it), aborting
// our signal no longer reaches the connection and a pending body read hangs (verified on Node
// 20.20.2 / undici 6.24.1). The body binding also cancels undici's body stream directly on abort,
// which does not depend on that link; test/gc.test.ts covers the outcome.
import { TimeoutError, type Clock, type TimerHandle } from "@nursery/core";
import { onCancel, onTaskEnd } from "@nursery/core/adapter";
import type { LimiterSlot } from "../limiter.js";

const noop = (): void => {};

/** The owner of a request: anything with an AbortSignal; see `FetchTask`. */
export interface Owner {
  readonly signal: AbortSignal;
  readonly name?: string;
  readonly state?: string;
}

/**
 * True when `owner` exposes a `state` (core's tasks do) that is no longer `"running"`: it has
 * returned, and nothing more may be sent or read on its behalf. An owner without `state` (a
 * `Nursery`, a bare `{ signal }`) lives as long as its signal.
 */
export function hasEnded(owner: Owner): boolean {
  const state = owner.state;
  return typeof state === "string" && state !== "running";
}

export class Operation {
  /** Aborts once, with the first of: the task's reason, `extraSignal`'s reason, the deadline's TimeoutError. */
  readonly #controller = new AbortController();
  readonly signal: AbortSignal = this.#controller.signal;
  readonly owner: Owner;
  readonly clock: Clock;
  /** `fetch GET <url>`: names the operation in TimeoutError scopes and messages. */
  readonly label: string;
  /** Clock time at which the deadline passes (Infinity without one). */
  readonly deadlineAt: number;
  #removeTaskListener: () => void;
  #removeExtraListener: () => void;
  #removeEndListener: () => void;
  /**
   * The error a use of this operation gets once its owner has ended: `TaskEndedError` of phase
   * "send" until the response is handed out, then of phase "read" (set by the body binding).
   */
  ended: () => unknown;
  #deadlineTimer: TimerHandle | undefined;
  #attempt: AbortController | undefined;
  /** The current attempt's Request, kept reachable while the operation lives (see the header). */
  // eslint-disable-next-line no-unused-private-class-members -- written, never read: it only pins the Request
  #request: Request | undefined;
  #slot: LimiterSlot | undefined;
  /** Set by the body binding: cancels undici's body stream at once on abort. */
  #abortBody: ((reason: unknown) => void) | undefined;
  #finished = false;

  /** The caller has checked that neither the owner nor `extraSignal` is cancelled yet. */
  constructor(
    owner: Owner,
    extraSignal: AbortSignal | undefined,
    clock: Clock,
    deadline: number | undefined,
    label: string,
    ended: () => unknown,
  ) {
    this.owner = owner;
    this.clock = clock;
    this.label = label;
    this.ended = ended;
    // `onCancel` accepts any object with a `signal` at run time; its type names only tasks and signals.
    this.#removeTaskListener = onCancel(owner, (reason) => this.abort(reason));
    this.#removeExtraListener = extraSignal === undefined ? noop : onCancel(extraSignal, (reason) => this.abort(reason));
    // The caller has checked the owner has not ended, so this does not call back at once.
    this.#removeEndListener = onTaskEnd(owner, () => this.abort(this.ended()));
    if (deadline === undefined || deadline === Infinity) {
      this.deadlineAt = Infinity;
      return;
    }
    try {
      this.deadlineAt = clock.now() + deadline;
      this.#deadlineTimer = clock.setTimer(deadline, () => {
        this.#deadlineTimer = undefined;
        this.abort(new TimeoutError(deadline, label));
      });
    } catch (err) {
      // A clock that throws: nothing of this operation may stay registered on the owner.
      this.#removeTaskListener();
      this.#removeExtraListener();
      this.#removeEndListener();
      throw err;
    }
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Aborts the operation with `reason` (first reason wins) and releases everything it holds. */
  abort(reason: unknown): void {
    if (this.#finished || this.signal.aborted) return;
    this.#controller.abort(reason);
    this.#attempt?.abort(reason);
    const abortBody = this.#abortBody;
    this.finish();
    abortBody?.(reason);
  }

  /** Registers what `abort()` does to the response body once the user holds it. */
  onAbortBody(abortBody: (reason: unknown) => void): void {
    this.#abortBody = abortBody;
  }

  /**
   * Builds the next attempt's Request on a fresh signal, aborted by `abort()` or by the caller's
   * own timeout. Throws what the Request constructor throws (a bad method, a body on GET, ...).
   */
  startAttempt(url: URL, init: RequestInit): { attempt: AbortController; request: Request } {
    const attempt = new AbortController();
    const request = new Request(url, { ...init, signal: attempt.signal });
    this.#attempt = attempt;
    this.#request = request;
    return { attempt, request };
  }

  /** Holds `slot` for the current attempt. Released by `releaseSlot()` or `finish()`. */
  hold(slot: LimiterSlot): void {
    this.#slot = slot;
    if (this.#finished) this.releaseSlot();
  }

  releaseSlot(): void {
    const slot = this.#slot;
    this.#slot = undefined;
    slot?.release();
  }

  /** True when a wait of `ms` would end before the deadline. */
  canWait(ms: number): boolean {
    return this.clock.now() + ms < this.deadlineAt;
  }

  /**
   * Aborts the operation with `ended()` when its owner has returned (see `hasEnded`), giving back
   * its slot, listeners and deadline timer. True when the operation is aborted, now or before: it
   * may not go on (send the next attempt, read the body), and `signal.reason` says why.
   */
  stopIfEnded(): boolean {
    if (!this.signal.aborted && hasEnded(this.owner)) this.abort(this.ended());
    return this.signal.aborted;
  }

  /**
   * Why the response body may no longer be read, if it may not: the operation's abort reason (the
   * task's own `CancelledError` when it was cancelled), or `ended()` when the owning task has
   * returned (see `stopIfEnded`).
   */
  stopReason(): unknown {
    return this.stopIfEnded() ? this.signal.reason : undefined;
  }

  /** Releases the listeners, the deadline timer and the limiter slot. Idempotent. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#request = undefined;
    this.#abortBody = undefined;
    this.#removeTaskListener();
    this.#removeExtraListener();
    this.#removeEndListener();
    if (this.#deadlineTimer !== undefined) {
      this.clock.clearTimer(this.#deadlineTimer);
      this.#deadlineTimer = undefined;
    }
    this.releaseSlot();
  }
}
