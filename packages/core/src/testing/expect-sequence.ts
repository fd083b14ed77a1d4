import { isDeepStrictEqual, inspect } from "node:util";
import { invalid } from "../internal/validate.js";

/**
 * Asserts that an event log matches a partly ordered pattern: plain entries must appear in that
 * order; a `Set` is a group whose members must all appear next, in any order. The whole log must
 * be consumed. Throws an `Error` describing the first mismatch.
 *
 * @example
 * ```ts
 * expectSequence(log, ["start", new Set(["a:done", "b:done"]), "end"]);
 * ```
 */
export function expectSequence(log: readonly unknown[], pattern: readonly unknown[]): void {
  if (!Array.isArray(log)) throw invalid("log", "an array", log);
  if (!Array.isArray(pattern)) throw invalid("pattern", "an array", pattern);
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`expectSequence: ${what}\n  log:     ${inspect(log, { breakLength: Infinity })}\n  pattern: ${inspect(pattern, { breakLength: Infinity })}`);
  };
  for (let p = 0; p < pattern.length; p++) {
    const step: unknown = pattern[p];
    if (step instanceof Set) {
      const want: unknown[] = [...(step as Set<unknown>)];
      const got = log.slice(at, at + want.length);
      if (got.length < want.length) fail(`log ended at index ${log.length} inside group #${p} (${inspect(want)})`);
      const left = [...want];
      for (let k = 0; k < got.length; k++) {
        const entry: unknown = got[k];
        const i = left.findIndex((w) => isDeepStrictEqual(w, entry));
        if (i < 0) fail(`log[${at + k}] = ${inspect(entry)} is not in group #${p} (${inspect(want)})`);
        left.splice(i, 1);
      }
      at += want.length;
    } else {
      if (at >= log.length) fail(`log ended at index ${at}, expected ${inspect(step)}`);
      if (!isDeepStrictEqual(log[at], step)) fail(`log[${at}] = ${inspect(log[at])}, expected ${inspect(step)}`);
      at++;
    }
  }
  if (at !== log.length) fail(`log has ${log.length - at} unexpected trailing entries from index ${at}: ${inspect(log.slice(at))}`);
}
