// Runtimes without node:stream (browsers, workerd): nothing is a Node Readable. A Readable from a
// polyfill is still async-iterable, so iterate() reads it as an async iterator.
import type { Readable } from "node:stream";
import type { Reader } from "../reader.js";

export function isNodeReadable(_value: object): _value is Readable {
  return false;
}

export function nodeReader<T>(_source: object): Reader<T> | undefined {
  return undefined;
}
