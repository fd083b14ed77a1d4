// Who owns an AbortSignal this library handed out (a task's, or a nursery body's), so that a
// nursery opened with `{ signal: task.signal }` can hang itself under that task in the task tree,
// and a callback that throws on that signal is reported as that owner's cleanup error.
import type { Task } from "../task.js";

/** Anything that owns an AbortSignal handed out by this library: a task or a nursery's body. */
export interface SignalOwner {
  /** Nurseries opened with this owner's signal as their outside signal (for task trees). */
  nested: Set<TreeNode> | undefined;
  /**
   * A callback run on this owner's cancellation (an `onCancel` hook) threw: a cleanup error of the
   * task (or the body), which its nursery reports like any other failure.
   */
  cleanupFailed(err: unknown): void;
}

/** The part of a nursery that task trees and `run()` read. */
export interface TreeNode {
  readonly name: string;
  readonly cancelRequested: boolean;
  readonly children: readonly Task<unknown>[];
  /** The nursery's body, as the owner of the nursery's `signal`. */
  readonly body: SignalOwner;
}

// Filled only when a signal is first read, so tasks that never read their signal pay nothing.
export const signalOwners = new WeakMap<AbortSignal, SignalOwner>();
