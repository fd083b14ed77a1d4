// The parent of a nursery, a cancel scope or a start() call, given as the first argument
// (docs/design/decisions/core-structural-nesting.md).
//
// Goal: `nursery(task, body)` makes the nursery the task's child without an AbortSignal: it
// follows the task through a cancel hook (TaskImpl.addHook, what onCancel() uses) and is listed in
// the task's `inner` set, so task trees and straggler reports show it under the task. Any other
// Cancellable (an AbortSignal, a scope context, a nursery, `{ signal }`) is followed through its
// signal, and listed under whoever handed that signal out (signalOwners), as `{ signal }` was.
import { cancelReasonOf, onCancel, type Cancellable } from "../on-cancel.js";
import { isAbortSignal } from "../is-abort-signal.js";
import type { TaskContext } from "../task.js";
import { signalOwners, type SignalOwner, type TreeNode } from "./signal-owner.js";
import { TaskImpl } from "./task-impl.js";
import { invalid } from "./validate.js";

/** True for a task, an AbortSignal, or an object whose `signal` is one. Never throws. */
export function isCancellable(value: unknown): value is Cancellable {
  if (value instanceof TaskImpl || isAbortSignal(value)) return true;
  if (typeof value !== "object" || value === null || !("signal" in value)) return false;
  try {
    return isAbortSignal((value).signal);
  } catch {
    return false;
  }
}

/** Checks the first argument of the new forms: any Cancellable, named `name` in the TypeError. */
export function checkParent(name: string, value: unknown): Cancellable {
  if (!isCancellable(value)) throw invalid(name, "a task, a scope context or an AbortSignal", value);
  return value;
}

/** Who a child opened under `parent` is listed under in task trees, if anyone. */
export function ownerOf(parent: Cancellable): SignalOwner | undefined {
  if (parent instanceof TaskImpl) return parent;
  return signalOwners.get(isAbortSignal(parent) ? parent : parent.signal);
}

/** The library task behind `parent` (a task, or a signal or scope context handed out by one). */
export function taskOf(parent: Cancellable): TaskContext | undefined {
  if (parent instanceof TaskImpl) return parent;
  const scoped = (parent as { task?: unknown }).task;
  if (scoped instanceof TaskImpl) return scoped;
  const owner = ownerOf(parent);
  return owner instanceof TaskImpl ? owner : undefined;
}

/** The clock a parent carries (a task's, a scope context's), if any. */
export function clockOf(parent: Cancellable): TaskContext["clock"] | undefined {
  return isAbortSignal(parent) ? undefined : (parent as { clock?: TaskContext["clock"] }).clock;
}

/** A nursery's link to its parent, for as long as the nursery is open. */
export interface ParentLink {
  /** The parent's cancellation reason, or undefined while it is not cancelled. */
  reason(): unknown;
  /** Removes the hook or listener and the tree entry; idempotent. */
  unlink(): void;
}

/**
 * Links `child` under `parent`: `cancelled(reason)` runs once when the parent is cancelled (at
 * once when it already is), and `child` is listed under the parent's owner until `unlink()`.
 */
export function linkParent(child: TreeNode, parent: Cancellable, cancelled: (reason: unknown) => void): ParentLink {
  const owner = ownerOf(parent);
  if (owner !== undefined) (owner.nested ??= new Set()).add(child);
  let remove: (() => void) | undefined = onCancel(parent, cancelled);
  return {
    reason: () => cancelReasonOf(parent),
    unlink: () => {
      remove?.();
      remove = undefined;
      owner?.nested?.delete(child);
    },
  };
}
