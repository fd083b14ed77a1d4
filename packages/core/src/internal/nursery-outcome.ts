// How a nursery settles, decided once, when its body and every child have settled. A pure
// function of what happened, so the whole table is unit-tested (test/nursery-outcome.test.ts) and
// the nursery only collects its inputs. The order is docs/design/lifecycle.md's:
//
// 1. real errors: a NurseryError listing them, with the nursery's TimeoutError as its `cause`
//    when its own deadline had passed (an outer cancellation is not kept: the enclosing nursery
//    reads an error whose cause is its own reason as a cancellation, and its signal stays aborted);
// 2. an outside cancellation: its CancelledError, also when it came after another trigger (the
//    timeout, cancel()): the outermost cancelled scope catches, so the caller sees its own reason;
// 3. the nursery's own timeout: a TimeoutError;
// 4. otherwise (cancel(), or no cancellation): the body's value.
import { NurseryError, TimeoutError, fromParent, type CancelledError } from "../errors.js";

/** What cancelled a nursery first: its own cancel(), its timeout, its outside signal, a failure. */
export type CancelTrigger = "self" | "timeout" | "outside" | "failure";

/** What the outcome is decided from. */
export interface OutcomeInputs {
  /** The nursery's name, for the errors it settles with. */
  readonly name: string;
  /** The `timeout` option in ms, for the TimeoutError. */
  readonly timeout: number;
  /** The trigger that fired first, or undefined when nothing cancelled the nursery. */
  readonly cancelledBy: CancelTrigger | undefined;
  /** The reason of that first trigger. */
  readonly reason: CancelledError | undefined;
  /** The real errors, in the order they happened, each once. */
  readonly errors: readonly unknown[] | undefined;
  /** The outside signal as it is now: aborted later than the first trigger still counts. */
  readonly outside: { readonly aborted: boolean; readonly reason?: unknown } | undefined;
  /** What the body returned. */
  readonly value: unknown;
}

/** A settled nursery: resolved with `value` (`ok`) or rejected with it. */
export interface Outcome {
  readonly ok: boolean;
  readonly value: unknown;
}

export function decideOutcome(inputs: OutcomeInputs): Outcome {
  const { name, cancelledBy, outside, errors } = inputs;
  const outer = cancelledBy === "outside" ? inputs.reason : outside?.aborted === true ? fromParent(outside.reason, name) : undefined;
  const timedOut = cancelledBy === "timeout" ? new TimeoutError(inputs.timeout, name) : undefined;
  if (errors !== undefined) return { ok: false, value: new NurseryError(errors, name, { cause: timedOut }) };
  if (outer !== undefined) return { ok: false, value: outer };
  if (timedOut !== undefined) return { ok: false, value: timedOut };
  return { ok: true, value: inputs.value };
}
