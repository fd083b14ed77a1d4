// Argument checks: core's adapter kit (`@nursery/core/adapter`), so a bad argument gets the same
// TypeError here as in every nursery package:
//   Expected `grace` to be a number >= 0 or Infinity, got `-1` (number)
// Only what is particular to pools is written here: the owner and the worker module.
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import type { Nursery, TaskContext } from "@nursery/core";
import { checkOptions, invalidArgument as invalid } from "@nursery/core/adapter";

export { checkClock, checkCount, checkDuration, checkString, invalidArgument as invalid } from "@nursery/core/adapter";

/** An options bag as a record (`{}` when absent); anything else is the kit's TypeError. */
export function optionsOf(name: string, value: unknown): Record<string, unknown> {
  checkOptions(name, value);
  return (value ?? {}) as Record<string, unknown>;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The nursery a job or pool joins: the owner itself when it is a nursery, else the task's nursery. */
export function checkOwner(name: string, owner: unknown): { nursery: Nursery; task: TaskContext | undefined } {
  if (isObject(owner)) {
    if (typeof owner["spawn"] === "function") return { nursery: owner as unknown as Nursery, task: undefined };
    const nursery = owner["nursery"];
    if (isObject(nursery) && typeof nursery["spawn"] === "function") {
      return { nursery: nursery as unknown as Nursery, task: owner as unknown as TaskContext };
    }
  }
  throw invalid(name, "a nursery or a task", owner);
}

/** The worker module as an absolute path: a `file:` URL (string or URL) or an absolute path. */
export function checkWorkerFile(value: unknown): string {
  try {
    if (value instanceof URL && value.protocol === "file:") return fileURLToPath(value);
    if (typeof value === "string" && value.startsWith("file:")) return fileURLToPath(value);
  } catch {
    // A malformed file URL: reported below like any other wrong value.
  }
  if (typeof value === "string" && isAbsolute(value)) return value;
  throw invalid("worker", 'a file URL or an absolute path (e.g. new URL("./job.js", import.meta.url))', value);
}
