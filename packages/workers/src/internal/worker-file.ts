// The worker module a pool loads, as an absolute path. The message is the adapter kit's TypeError,
// like every other argument check of this package.
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { invalidArgument } from "@nursery/core/adapter";

/** The worker module as an absolute path: a `file:` URL (string or URL) or an absolute path. */
export function checkWorkerFile(value: unknown): string {
  try {
    if (value instanceof URL && value.protocol === "file:") return fileURLToPath(value);
    if (typeof value === "string" && value.startsWith("file:")) return fileURLToPath(value);
  } catch {
    // A malformed file URL: reported below like any other wrong value.
  }
  if (typeof value === "string" && isAbsolute(value)) return value;
  throw invalidArgument("worker", 'a file URL or an absolute path (e.g. new URL("./job.js", import.meta.url))', value);
}
