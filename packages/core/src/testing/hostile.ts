// Helpers for hostile-input tests of code built on nurseries: did a call throw the house
// TypeError, and did a promise settle within a bounded wait (so a hang fails the test instead of
// stalling it)? Framework-neutral: an assertion here throws a plain `Error`, never imports jest.
import { inspect } from "node:util";
import { checkFunction, checkString } from "../internal/validate.js";

/**
 * Matches the message of every argument TypeError of the nursery packages, the one
 * `invalidArgument` builds: ``Expected `name` to be <what>, got `<value>` (<type>)``.
 *
 * @example
 * ```ts
 * expect((err as TypeError).message).toMatch(INVALID_ARGUMENT_MESSAGE);
 * ```
 */
export const INVALID_ARGUMENT_MESSAGE =
  /^Expected `[A-Za-z.[\]0-9()]+` to be .+, got `.*` \((?:number|string|object|null|undefined|boolean|function|symbol|bigint)\)$/s;

/** @deprecated Renamed {@link INVALID_ARGUMENT_MESSAGE}: it matches what `invalidArgument` builds. */
export const HOUSE_TYPE_ERROR = INVALID_ARGUMENT_MESSAGE;

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

/**
 * Asserts that `err` is the TypeError `invalidArgument` builds ({@link INVALID_ARGUMENT_MESSAGE}) about the
 * argument or option `name`: its message starts with ``Expected `name` ``. Use it on what
 * {@link thrown} returned, or on a rejection's reason.
 *
 * Returns nothing when `err` fits; otherwise throws an `Error` that says which of the three
 * checks failed (not a `TypeError`, not the house shape, names another argument) and shows `err`.
 * Throws a `TypeError` when `name` is not a string.
 *
 * @example
 * ```ts
 * expectInvalidArgument(thrown(() => nursery(() => {}, { timeout: -1 })), "timeout");
 * ```
 */
export function expectInvalidArgument(err: unknown, name: string): void {
  checkString("name", name);
  const fail = (what: string): never => {
    throw new Error(`expectInvalidArgument: ${what}\n  got: ${inspect(err, { breakLength: Infinity })}`);
  };
  if (!(err instanceof TypeError)) fail(`expected a TypeError about \`${name}\``);
  const message = (err as TypeError).message;
  if (!INVALID_ARGUMENT_MESSAGE.test(message)) fail("the message is not in the house shape: Expected `name` to be <what>, got `<value>` (<type>)");
  if (!message.startsWith(`Expected \`${name}\``)) fail(`the message does not start with Expected \`${name}\``);
}

/** @deprecated Renamed {@link expectInvalidArgument}: it checks for what `invalidArgument` builds. */
export const expectHouseTypeError: (err: unknown, name: string) => void = expectInvalidArgument;

/** How a promise stood after {@link settledWithin}'s turns or {@link settledBy}'s wait. */
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
 * expect((await settledWithin(sleep(aborted, 10))).state).toBe("rejected");
 * ```
 */
export function settledWithin(promise: PromiseLike<unknown>, turns = 30): Promise<Settled> {
  return settledBy(promise, () => eventLoopTurns(turns));
}

/**
 * Observes `promise` while `waitFor` runs and reports how it stood when the wait ended. `waitFor`
 * gets a `settled()` predicate, so a bounded poll (your own "wait until, or fail after N") can
 * stop as soon as the promise settles. Use it for outcomes that need I/O first (a server, a child
 * process), where {@link settledWithin}'s fixed turns are not enough.
 *
 * Resolves with the {@link Settled} state once `waitFor` resolves (`"pending"` if the promise had
 * not settled by then); rejects with `waitFor`'s error when the wait itself fails, such as a poll
 * that gave up, and with a `TypeError` when `waitFor` is not a function.
 *
 * @example
 * ```ts
 * // waitUntil(condition, what): the test's own poll, which throws once its bound has passed
 * const result = await settledBy(exec("true"), (settled) => waitUntil(settled, "exec settled"));
 * expect(result.state).toBe("fulfilled");
 * ```
 */
export async function settledBy(
  promise: PromiseLike<unknown>,
  waitFor: (settled: () => boolean) => PromiseLike<void>,
): Promise<Settled> {
  checkFunction("waitFor", waitFor);
  let result: Settled = { state: "pending" };
  promise.then(
    (value) => (result = { state: "fulfilled", value }),
    (error: unknown) => (result = { state: "rejected", error }),
  );
  await waitFor(() => result.state !== "pending");
  return result;
}

/**
 * An `AbortSignal` that is already aborted with `reason` (default: an `Error("stop")`).
 *
 * @example
 * ```ts
 * await expect(sleep(abortedSignal("gone"), 10)).rejects.toBe("gone");
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
