// Where a task "is defined", as task trees, straggler reports and leak warnings show it, is the
// definition of the function the task was spawned with. An adapter that runs the user's function
// inside its own task function (a request handler called from a wrapper that keeps the books)
// would show its own source line there; `locateAs` names the user's function instead.
import { SITE } from "../internal/site.js";
import { invalidArgument } from "../invalid-argument.js";
import { checkFunction } from "./checks.js";

/**
 * Makes task trees, straggler reports and leak warnings show, for a task spawned with `wrapper`,
 * where `target` is defined instead of where `wrapper` is; with `null`, no site at all (for an
 * adapter's own bookkeeping task, whose source line would tell the user nothing). Returns
 * `wrapper`, marked; nothing else about it changes. A `target` marked itself is followed.
 * Throws a TypeError when `wrapper` is not a function, or `target` neither a function nor null.
 *
 * For adapters: the site is looked up only when a report is printed, so marking costs one
 * property per wrapper.
 *
 * @example
 * ```ts
 * requests.spawn(locateAs((task) => runRequest(task, handler, req, res), handler), { name: "GET /" });
 * ```
 */
export function locateAs<F extends Function>(wrapper: F, target: Function | null): F {
  checkFunction("wrapper", wrapper);
  if (target !== null && typeof target !== "function") throw invalidArgument("target", "a function or null", target);
  // Assigned, not defined: adapters mark a fresh closure per request, and Object.defineProperty
  // costs ~0.5 us a call on Node 20 where the assignment costs ~0.05 us.
  (wrapper as unknown as Record<symbol, unknown>)[SITE] = target;
  return wrapper;
}
