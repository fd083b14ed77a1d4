// What a job's failure looks like on its way from the worker thread to the main thread.
//
// piscina posts a rejected job's error with structured clone, which keeps only a built-in error's
// name, message, stack and `cause` (measured on Node 20): a custom `name` reads "Error", `code` and
// every other field is dropped, and an AggregateError arrives without `errors`. So the worker side (defineJob) never lets an error reach
// piscina as is: it throws a plain object under the WIRE key instead, `serialize()` having copied
// what can be copied, and the main thread `revive()`s an Error from it. The same key marks "the job
// stopped because it was cancelled" and "the job was skipped, cancelled before it started".

/** The key of every object this package sends as a rejection. A string: symbols do not survive a clone. */
export const WIRE = "@nursery/workers:wire";

export type Wire =
  | { readonly [WIRE]: "cancelled" }
  | { readonly [WIRE]: "skipped" }
  | { readonly [WIRE]: "error"; readonly error: SerializedError };

/** An error as plain data. `value` holds a thrown non-Error (cloned, or as text when it cannot be). */
export interface SerializedError {
  name?: string;
  message?: string;
  stack?: string;
  cause?: SerializedError;
  errors?: SerializedError[];
  props?: Record<string, unknown>;
  value?: unknown;
  isError: boolean;
}

const MAX_DEPTH = 8;
const OWN = new Set(["name", "message", "stack", "cause", "errors"]);

function cloneable(value: unknown): boolean {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return typeof value !== "symbol";
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "a value that cannot be converted to a string";
  }
}

/** What {@link read} returns for a property whose reading threw. */
const UNREADABLE = Symbol("unreadable");

/** `obj[key]`, or `fallback` when reading it throws (a getter, a Proxy trap). */
function read(obj: object, key: string, fallback: unknown = undefined): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return fallback;
  }
}

function isErrorLike(err: unknown): err is object {
  try {
    return err instanceof Error || (typeof err === "object" && err !== null && "message" in err && "stack" in err);
  } catch {
    return false; // a Proxy whose traps throw
  }
}

/**
 * Worker side: everything of `err` that survives a structured clone, recursively through `cause`.
 * Never throws: what the error's own code throws as it is read (a getter, a Proxy trap) is left
 * out, so the job still fails with what could be read, instead of the getter's error taking the
 * job's place.
 */
export function serialize(err: unknown, depth = 0): SerializedError {
  if (!isErrorLike(err)) return { isError: false, value: cloneable(err) ? err : text(err) };
  const out: SerializedError = { isError: true, name: text(read(err, "name", "Error")), message: text(read(err, "message", "")) };
  const stack = read(err, "stack");
  if (typeof stack === "string") out.stack = stack;
  if (depth < MAX_DEPTH) {
    const cause = read(err, "cause");
    if (cause !== undefined) out.cause = serialize(cause, depth + 1);
    try {
      const errors = read(err, "errors");
      if (Array.isArray(errors)) out.errors = errors.map((inner) => serialize(inner, depth + 1));
    } catch {
      // A revoked Proxy as `errors`, or an array whose traps throw: no inner errors.
    }
  }
  let keys: string[] = [];
  try {
    keys = Object.keys(err);
  } catch {
    // ownKeys trap: no fields.
  }
  for (const key of keys) {
    if (OWN.has(key)) continue;
    const value = read(err, key, UNREADABLE);
    if (value !== UNREADABLE && cloneable(value)) (out.props ??= {})[key] = value;
  }
  return out;
}

const BUILT_IN: Record<string, ErrorConstructor | undefined> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Main side: an Error with the worker's name, message, stack, cause and fields; or the thrown value. */
export function revive(data: SerializedError): unknown {
  if (!data.isError) return data.value;
  const name = data.name ?? "Error";
  const cause = data.cause === undefined ? undefined : { cause: revive(data.cause) };
  const err =
    data.errors !== undefined
      ? new AggregateError(data.errors.map(revive), data.message, cause)
      : new (BUILT_IN[name] ?? Error)(data.message, cause);
  if (err.name !== name) Object.defineProperty(err, "name", { value: name, writable: true, configurable: true });
  if (data.stack !== undefined) Object.defineProperty(err, "stack", { value: data.stack, writable: true, configurable: true });
  if (data.props !== undefined) Object.assign(err, data.props);
  return err;
}

export function isWire(value: unknown): value is Wire {
  return typeof value === "object" && value !== null && typeof (value as Record<string, unknown>)[WIRE] === "string";
}
