// Argument checks, in the one TypeError shape of the nursery packages (core's `invalidArgument`):
//   Expected `grace` to be a number >= 0 or Infinity, got `-1` (number)
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { invalidArgument as invalid, type Nursery, type TaskContext } from "@nursery/core";

export { invalid };

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

export function checkDuration(name: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) throw invalid(name, "a number >= 0 or Infinity", value);
  return value;
}

export function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw invalid(name, `an integer >= ${min}`, value);
  return value;
}

export function checkString(name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw invalid(name, "a non-empty string", value);
  return value;
}

export function checkOptions(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value)) throw invalid(name, "an options object", value);
  return value;
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
  throw invalid("worker", "a file URL or an absolute path (e.g. new URL(\"./job.js\", import.meta.url))", value);
}
