// The argument checks of every nursery package, written once. Each throws the house TypeError
// (`invalidArgument`): ``Expected `timeout` to be a number >= 0 or Infinity, got `-1` (number)``,
// and returns the value it accepted, typed, so an option is read and checked in one line.
// Checks named `checkOptional*` accept `undefined` too (never `null`: a `null` option is a bug).
import type { Clock } from "../clock.js";
import { invalidArgument } from "../invalid-argument.js";
import { isAbortSignal } from "../is-abort-signal.js";

/**
 * What {@link checkNumber} accepts: `min` (inclusive, or exclusive with `above`), whole numbers
 * only with `integer`, and `Infinity` too with `infinity`. NaN is never accepted.
 */
export interface NumberRule {
  readonly min: number;
  /** `> min` instead of `>= min`. */
  readonly above?: boolean;
  readonly integer?: boolean;
  readonly infinity?: boolean;
}

/** The words a rule reads as in a message: "an integer >= 1", "a number >= 0 or Infinity". */
function describeRule(rule: NumberRule): string {
  const kind = rule.integer === true ? "an integer" : rule.infinity === true ? "a number" : "a finite number";
  return `${kind} ${rule.above === true ? ">" : ">="} ${rule.min}${rule.infinity === true ? " or Infinity" : ""}`;
}

/**
 * A number that keeps `rule`; the message spells the rule out (``an integer >= 1 or Infinity``).
 *
 * @example
 * ```ts
 * const limit = checkNumber("limit", options.limit, { min: 1, integer: true, infinity: true });
 * ```
 */
export function checkNumber(name: string, value: unknown, rule: NumberRule): number {
  const ok =
    typeof value === "number" &&
    (rule.above === true ? value > rule.min : value >= rule.min) &&
    (value === Infinity ? rule.infinity === true : rule.integer === true ? Number.isSafeInteger(value) : Number.isFinite(value));
  if (!ok) throw invalidArgument(name, describeRule(rule), value);
  return value;
}

const DURATION: NumberRule = { min: 0, infinity: true };

/** A duration in ms: a number >= 0, finite or `Infinity` (the house rule for timeouts and graces). */
export function checkDuration(name: string, value: unknown): number {
  return checkNumber(name, value, DURATION);
}

/** {@link checkDuration}, or `undefined` when absent. */
export function checkOptionalDuration(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : checkNumber(name, value, DURATION);
}

/** A count: an integer >= `min`, or also `Infinity` when `infinity` is true. */
export function checkCount(name: string, value: unknown, min: number, infinity = false): number {
  return checkNumber(name, value, { min, integer: true, infinity });
}

/** A function (of any arity; it is not called). */
export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== "function") throw invalidArgument(name, "a function", value);
}

/**
 * {@link checkFunction}, or `undefined` when absent; returns the callback typed as `F`, so an
 * optional hook is read and checked in one line.
 *
 * @example
 * ```ts
 * const onError = checkOptionalFunction<(err: unknown) => void>("onError", options.onError);
 * ```
 */
export function checkOptionalFunction<F extends Function = (...args: never[]) => unknown>(name: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== "function") throw invalidArgument(name, "a function", value);
  return value as F | undefined;
}

/** A string (empty allowed). */
export function checkString(name: string, value: unknown): string {
  if (typeof value !== "string") throw invalidArgument(name, "a string", value);
  return value;
}

/** {@link checkString}, or `undefined` when absent. */
export function checkOptionalString(name: string, value: unknown): string | undefined {
  return value === undefined ? undefined : checkString(name, value);
}

/** A boolean; with `fallback`, `undefined` reads as `fallback`. */
export function checkBoolean(name: string, value: unknown, fallback?: boolean): boolean {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "boolean") throw invalidArgument(name, "a boolean", value);
  return value;
}

/** An AbortSignal, duck-typed by `isAbortSignal` (signals from other realms and polyfills count). */
export function checkSignal(name: string, value: unknown): AbortSignal {
  if (!isAbortSignal(value)) throw invalidArgument(name, "an AbortSignal", value);
  return value;
}

/** {@link checkSignal}, or `undefined` when absent. */
export function checkOptionalSignal(name: string, value: unknown): AbortSignal | undefined {
  return value === undefined ? undefined : checkSignal(name, value);
}

/** An options bag: `undefined` or an object (not `null`, not a primitive). */
export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && !isRecord(value)) {
    throw invalidArgument(name, "an options object", value);
  }
}

/**
 * {@link checkOptions}, returning the bag as a record to read option by option (`{}` when absent).
 *
 * @example
 * ```ts
 * const o = checkOptionsRecord("options", options);
 * const grace = checkDuration("grace", o["grace"] ?? 5000);
 * ```
 */
export function checkOptionsRecord(name: string, value: unknown): Record<string, unknown> {
  checkOptions(name, value);
  return (value ?? {}) as Record<string, unknown>;
}

/**
 * `value` is an object (not `null`, not a primitive), to read its properties: the test behind
 * {@link checkOptions}, for checks of a package's own that accept an object.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** `"a" or "b"`, `"a", "b" or "c"`: the choices as a message names them. */
function describeChoices(allowed: readonly string[]): string {
  const quoted = allowed.map((a) => `"${a}"`);
  const last = quoted.pop();
  return quoted.length === 0 ? String(last) : `${quoted.join(", ")} or ${String(last)}`;
}

/**
 * One of the strings in `allowed`, named in the message as `"a", "b" or "c"`.
 *
 * @example
 * ```ts
 * const order = checkOneOf("cancelOrder", options.cancelOrder ?? "reverse", ["reverse", "concurrent"]);
 * ```
 */
export function checkOneOf<const T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalidArgument(name, describeChoices(allowed), value);
  }
  return value as T;
}

/**
 * A {@link Clock}: an object with `now`, `setTimer` and `clearTimer`. Duck-typed, so a virtual
 * clock from another installed copy of core counts.
 */
export function checkClock(name: string, value: unknown): Clock {
  const clock = value as Partial<Clock> | null;
  if (
    typeof value !== "object" ||
    clock === null ||
    typeof clock.now !== "function" ||
    typeof clock.setTimer !== "function" ||
    typeof clock.clearTimer !== "function"
  ) {
    throw invalidArgument(name, "a Clock (now, setTimer, clearTimer)", value);
  }
  return value as Clock;
}

/** {@link checkClock}, or `undefined` when absent (the caller picks the default clock). */
export function checkOptionalClock(name: string, value: unknown): Clock | undefined {
  return value === undefined ? undefined : checkClock(name, value);
}
