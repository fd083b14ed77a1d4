// A nursery's body as the owner of `n.signal`: the signal aborts when the body's turn to be
// cancelled comes (after every child, in reverse order). Its AbortController is created on first
// read of the signal, so a nursery whose body never reads it pays nothing for one.
import type { CancelledError } from "../errors.js";
import { deliver, type Delivery } from "./deliver.js";
import { signalOwners, type SignalOwner, type TreeNode } from "./signal-owner.js";

export class NurseryBody implements SignalOwner, Delivery {
  nested: Set<TreeNode> | undefined;
  /** Set once, when the body's turn to be cancelled comes. */
  reason: CancelledError | undefined;
  #controller: AbortController | undefined;
  readonly #reportCleanupError: (err: unknown) => void;

  /** `reportCleanupError`: the nursery's, for a callback on the body's signal that threw. */
  constructor(reportCleanupError: (err: unknown) => void) {
    this.#reportCleanupError = reportCleanupError;
  }

  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = this.#controller = new AbortController();
      if (this.reason !== undefined) controller.abort(this.reason);
      signalOwners.set(controller.signal, this);
    }
    return controller.signal;
  }

  /** Cancels the body with `reason` (the first one wins); the signal aborts through deliver(). */
  abort(reason: CancelledError | undefined): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    if (this.#controller !== undefined) deliver(this);
  }

  /** Delivers the body's cancellation (see internal/deliver.ts); a no-op until cancelled and once delivered. */
  deliverAbort(): void {
    const controller = this.#controller;
    if (controller !== undefined && this.reason !== undefined && !controller.signal.aborted) controller.abort(this.reason);
  }

  cleanupFailed(err: unknown): void {
    this.#reportCleanupError(err);
  }
}
