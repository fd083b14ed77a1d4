// A nursery's real errors, in the order they happened, each once: a body or task that rethrows a
// sibling's error (`await task`) adds nothing. Only objects are recognised; two tasks throwing the
// same string are two failures. Test: property.test.ts, "regression: a body that rethrows an
// awaited child's error".

export class ErrorList {
  /** The errors, oldest first; undefined while there are none. */
  errors: unknown[] | undefined;
  #seen: WeakSet<object> | undefined = undefined; // the object members of `errors`

  /** Adds `err` unless it is already listed; true when it was added. */
  add(err: unknown): boolean {
    if ((typeof err === "object" && err !== null) || typeof err === "function") {
      const seen = (this.#seen ??= new WeakSet());
      if (seen.has(err)) return false;
      seen.add(err);
    }
    (this.errors ??= []).push(err);
    return true;
  }
}
