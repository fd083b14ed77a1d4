// The one way a nursery observes what a task function or a body returned.

/**
 * A native promise for `value` when it is a thenable, `undefined` when it is a plain value.
 * Promise.resolve returns a native promise as is and adopts any other thenable once, so a hostile
 * one (`then()` throws, or settles twice) settles exactly once instead of leaving a task linked
 * forever (hostile.test.ts, "settles a task whose thenable misbehaves"). Throws what reading
 * `value.then` throws: callers treat that as a failure, as a promise would.
 */
export function adopt(value: unknown): Promise<unknown> | undefined {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return undefined;
  return typeof (value as { then?: unknown }).then === "function" ? Promise.resolve(value) : undefined;
}
