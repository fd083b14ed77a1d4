// Which function stands for a task's definition site in task trees, straggler reports and leak
// warnings: the task's own function, unless an adapter named another one (`locateAs` in the
// adapter kit: the user's handler an adapter's task function calls, or no site at all). The key
// is a registered symbol, so a mark set through one installed copy of core is read by another.

/** The property of a task function that names the function to locate instead (or null: none). */
export const SITE = Symbol.for("@nursery/core.site");

/** The function whose definition is `fn`'s site, or undefined when it has none to show. */
export function siteFunction(fn: Function): Function | undefined {
  let target: Function = fn;
  // A few hops: an adapter's wrapper may name another adapter's wrapper, which names the user's function.
  for (let hops = 0; hops < 8; hops++) {
    const next = (target as { [SITE]?: unknown })[SITE];
    if (next === null) return undefined;
    if (typeof next !== "function") return target;
    target = next;
  }
  return target;
}
