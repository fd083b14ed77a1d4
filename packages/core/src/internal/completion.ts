// A nursery's settled result as a promise, created on first request: a nursery nobody awaits
// (an `openNursery()` that is never disposed) then cannot produce an unhandled rejection.
import type { Outcome } from "./nursery-outcome.js";

export class Completion {
  #outcome: Outcome | undefined;
  #promise: Promise<unknown> | undefined;
  #settle: ((outcome: Outcome) => void) | undefined;

  /** Settles the promise (now, or when it is first requested) with `outcome`; called once. */
  settle(outcome: Outcome): void {
    this.#outcome = outcome;
    this.#settle?.(outcome);
  }

  get promise(): Promise<unknown> {
    if (this.#promise === undefined) {
      const outcome = this.#outcome;
      if (outcome !== undefined) {
        this.#promise = outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.value);
      } else {
        this.#promise = new Promise((resolve, reject) => {
          this.#settle = (o) => (o.ok ? resolve(o.value) : reject(o.value));
        });
      }
    }
    return this.#promise;
  }
}
