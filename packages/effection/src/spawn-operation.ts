import type { Nursery, Task } from "@nursery/core";
import type { Operation } from "effection";
import { runOperation } from "./run-operation.js";
import { checkFunction, checkOptionalString, checkOptions, invalidArgument } from "@nursery/core/adapter";

/** Options of {@link spawnOperation}. */
export interface SpawnOperationOptions {
  /** The task's name; defaults to the operation function's name when it has one. */
  readonly name?: string;
}

/**
 * Runs an effection operation as a child task of a nursery: the effection to nursery direction.
 *
 * Use it to put effection code (generators, `spawn`, `resource`, `ensure`) under a nursery's
 * structure: the nursery waits for it, cancels it in its turn, and reports its errors.
 *
 * - Success: the task fulfils with the operation's value once its effection scope is torn down.
 * - Error: an error thrown by the operation rejects the task and fails the nursery like any child's
 *   error (the nursery cancels its other children and rejects with `NurseryError`).
 * - Cancellation: cancelling the task or the nursery halts the operation; the task settles only
 *   after every `finally`/`ensure` of the operation has run, then rejects with the task's
 *   cancellation reason (`task.signal.reason`, a `CancelledError`), which the nursery absorbs. In
 *   reverse order, the nursery waits for that before cancelling the next older child. An error
 *   thrown by a cleanup during the halt is a real error and fails the nursery.
 *
 * The operation runs in its own top-level effection scope (see {@link runOperation}).
 *
 * @example
 * ```ts
 * import { nursery } from "@nursery/core";
 * import { ensure, suspend } from "effection";
 * await nursery(async (n) => {
 *   spawnOperation(n, function* server() {
 *     yield* ensure(() => console.log("server closed"));
 *     yield* suspend();
 *   });
 *   n.cancel(); // halts the operation; "server closed" prints before the nursery settles
 * });
 * ```
 */
export function spawnOperation<T>(
  nursery: Nursery,
  operation: () => Operation<T>,
  options: SpawnOperationOptions = {},
): Task<T> {
  checkNursery("nursery", nursery);
  checkFunction("operation", operation);
  checkOptions("options", options);
  checkOptionalString("options.name", options.name);
  const name = options.name ?? (operation.name === "" ? undefined : operation.name);
  return nursery.spawn(
    (task) => runOperation(task, operation),
    name === undefined ? {} : { name },
  );
}

/** Duck-typed, like signals: a nursery from another installed copy of core counts. */
function checkNursery(name: string, value: unknown): void {
  if (typeof value !== "object" || value === null || typeof (value as { spawn?: unknown }).spawn !== "function") {
    throw invalidArgument(name, "a Nursery", value);
  }
}
