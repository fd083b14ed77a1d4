// Helpers for hostile-input tests of code built on nurseries: did a call throw the house
// TypeError, and did a promise settle within a bounded number of event-loop turns (so a hang
// fails the test instead of stalling it)?

/**
 * The shape of every argument TypeError of the nursery packages:
 * ``Expected `name` to be <what>, got `<value>` (<type>)``.
 *
 * @example
 * ```ts
 * expect((err as TypeError).message).toMatch(HOUSE_TYPE_ERROR);
 * ```
 */
export const HOUSE_TYPE_ERROR =
  /^Expected `[A-Za-z.[\]0-9()]+` to be .+, got `.*` \((?:number|string|object|null|undefined|boolean|function|symbol|bigint)\)$/s;

/**
 * Calls `fn` and returns what it threw, or `undefined` when it returned normally.
 *
 * @example
 * ```ts
 * expect(thrown(() => nursery(42 as never))).toBeInstanceOf(TypeError);
 * ```
 */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** How a promise stood after {@link settledWithin}'s turns. */
export type Settled =
  | { state: "fulfilled"; value: unknown }
  | { state: "rejected"; error: unknown }
  | { state: "pending" };

/**
 * Lets the event loop turn `n` times (each turn drains promise callbacks and runs immediates).
 *
 * @example
 * ```ts
 * await eventLoopTurns(5);
 * ```
 */
export async function eventLoopTurns(n = 30): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Observes `promise` for at most `turns` event-loop turns and reports how it stood: settled, or
 * still `"pending"` (a hang, for code that should have finished without I/O or time passing).
 *
 * @example
 * ```ts
 * expect((await settledWithin(sleep(10, { signal: aborted }))).state).toBe("rejected");
 * ```
 */
export async function settledWithin(promise: PromiseLike<unknown>, turns = 30): Promise<Settled> {
  let result: Settled = { state: "pending" };
  promise.then(
    (value) => (result = { state: "fulfilled", value }),
    (error: unknown) => (result = { state: "rejected", error }),
  );
  await eventLoopTurns(turns);
  return result;
}

/**
 * An `AbortSignal` that is already aborted with `reason` (default: an `Error("stop")`).
 *
 * @example
 * ```ts
 * await expect(sleep(10, { signal: abortedSignal("gone") })).rejects.toBe("gone");
 * ```
 */
export function abortedSignal(reason: unknown = new Error("stop")): AbortSignal {
  const controller = new AbortController();
  controller.abort(reason);
  return controller.signal;
}

/**
 * Values that are not a duration (a number >= 0 or `Infinity`), each with a label for test names:
 * NaN, negatives, and values of every other type. Every duration option must refuse each of them.
 *
 * @example
 * ```ts
 * it.each(NOT_DURATIONS)("refuses timeout: %s", (_label, value) => {
 *   expect(() => nursery(() => {}, { timeout: value as number })).toThrow(TypeError);
 * });
 * ```
 */
export const NOT_DURATIONS: ReadonlyArray<readonly [label: string, value: unknown]> = [
  ["NaN", NaN],
  ["-1", -1],
  ["-0.001", -0.001],
  ["-Infinity", -Infinity],
  ['"5"', "5"],
  ["null", null],
  ["true", true],
  ["{}", {}],
  ["[]", []],
  ["10n", 10n],
  ["a Symbol", Symbol("n")],
  ["a function", () => 5],
];
