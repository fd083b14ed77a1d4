// @nursery/core/adapter: what every adapter of the nursery packages shares, written once. Argument
// checks that throw the house TypeError, one way to define an error class with its code and a
// brand that holds across installed copies, and the listeners that tie a resource to a task: on
// cancellation (`onCancel`), on any end (`onTaskEnd`) and to the process's end (`onProcessExit`),
// and the test that tells a cancellation from a real error seen while cancelled (`isCancelledBy`).
// The adapters in this repository use
// nothing else for these jobs; other people's adapters are welcome to.
export {
  checkNumber,
  checkDuration,
  checkOptionalDuration,
  checkCount,
  checkFunction,
  checkOptionalFunction,
  checkString,
  checkOptionalString,
  checkBoolean,
  checkSignal,
  checkOptionalSignal,
  checkOptions,
  checkOptionsRecord,
  isRecord,
  checkOneOf,
  checkClock,
  checkOptionalClock,
  type NumberRule,
} from "./checks.js";
export { defineErrorClass, errorBrandKey, readErrorBrand, type ErrorClassSpec } from "./define-error.js";
export { onTaskEnd } from "./task-end.js";
export { isCancelledBy } from "./cancelled-by.js";
export { locateAs } from "./locate-as.js";
export { invalidArgument, describeValue } from "../invalid-argument.js";
export { onCancel, cancelReasonOf, type Cancellable } from "../on-cancel.js";
export { isAbortSignal } from "../is-abort-signal.js";
export { onProcessExit, type ExitHook } from "../exit-hooks.js";
