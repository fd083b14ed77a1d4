// Node, Bun and Deno (package.json `imports`, conditions node/bun/deno): iterate() reads a Node
// Readable through its own reader, which never takes a chunk it cannot hand over.
import { ReadableReader, isNodeReadable } from "../readable-reader.js";
import type { Reader } from "../reader.js";

export { isNodeReadable };

/** A reader for `source` when it is a Node Readable, else undefined. */
export function nodeReader<T>(source: object): Reader<T> | undefined {
  return isNodeReadable(source) ? new ReadableReader<T>(source) : undefined;
}
