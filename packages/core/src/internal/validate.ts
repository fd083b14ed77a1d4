// Core's argument checks are the adapter kit's (adapter/checks.ts), so core and every adapter
// throw the same TypeError for the same bad input. What is here is only core's way of calling them.
import { checkDuration, checkOneOf } from "../adapter/checks.js";
import { invalidArgument } from "../invalid-argument.js";

export {
  checkDuration,
  checkFunction,
  checkSignal,
  checkString,
  checkBoolean,
  checkClock,
  checkOptions,
} from "../adapter/checks.js";

/** Core's own short name for {@link invalidArgument}. */
export const invalid = invalidArgument;

/** An optional duration: `Infinity` when undefined (null is not undefined: it is rejected). */
export function checkOptionalDuration(name: string, value: unknown): number {
  return value === undefined ? Infinity : checkDuration(name, value);
}

/** One of two string choices, named in the message as `"a" or "b"`. */
export function checkChoice<A extends string, B extends string>(name: string, value: unknown, a: A, b: B): A | B {
  return checkOneOf<A | B>(name, value, [a, b]);
}
