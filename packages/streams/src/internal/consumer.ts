// The consumer of a helper that runs work of its own (map's calls, merge's sources), as the
// helper's reader sees it: at most one read waiting, answered at most once and never after
// `withdraw()`; and the first failure, which, once the helper's teardown has settled, answers the
// read waiting then, every later read, and the close (docs/design/decisions/streams-helpers.md).
import type { Outcome } from "./reader.js";

export class Consumer<T> {
  #waiting: ((outcome: Outcome<T>) => void) | undefined;
  #failed: Promise<Outcome<T>> | undefined;

  /** The read waiting for an answer, if any. */
  get waiting(): ((outcome: Outcome<T>) => void) | undefined {
    return this.#waiting;
  }

  /**
   * Makes `settle` the read waiting. `false` when the helper has failed: the read is then answered
   * with the failure and the helper has nothing to do.
   */
  wait(settle: (outcome: Outcome<T>) => void): boolean {
    this.#waiting = settle;
    if (this.#failed === undefined) return true;
    void this.#failed.then((outcome) => this.answer(settle, outcome));
    return false;
  }

  withdraw(): undefined {
    this.#waiting = undefined;
    return undefined;
  }

  /** Answers `settle` if it is still the read waiting (not withdrawn, not answered). */
  answer(settle: (outcome: Outcome<T>) => void, outcome: Outcome<T>): void {
    if (this.#waiting !== settle) return;
    this.#waiting = undefined;
    settle(outcome);
  }

  /** Records the first failure, delivered once `teardown` has settled; call it once. */
  fail(teardown: Promise<unknown>, error: unknown): void {
    this.#failed = teardown.then(() => ({ error }));
    const settle = this.#waiting;
    if (settle !== undefined) void this.#failed.then((outcome) => this.answer(settle, outcome));
  }

  /** Once failed: the close's result, rejecting with the failure. `undefined` before any failure. */
  closeAfterFailure(): Promise<void> | undefined {
    return this.#failed?.then((outcome) => {
      if ("error" in outcome) throw outcome.error;
    });
  }
}
