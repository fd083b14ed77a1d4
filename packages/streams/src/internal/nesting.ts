// Reads and closes through chains of iterations without recursion.
//
// Goal. `iterate(iterate(iterate(...)))`, and map/take/merge/pipeline stages over each other, work
// at any depth (issue 16, item 5's class): the first read of a 10,000-deep chain, and its close
// when the outer task is cancelled, settle without a RangeError. A read or a close of one level
// calls the next level's synchronously (next() -> reader.read -> the inner next() -> ...), about
// 8 frames a level, so a few thousand levels overflow the stack.
//
// Design. Nested calls run as plain calls up to MAX_DEPTH levels, so shallow chains keep every
// same-turn order they had; a call requested deeper than that starts on a microtask, when the
// stack has unwound, with a fresh allowance. Only chains deeper than MAX_DEPTH pay anything.
const MAX_DEPTH = 64;
let depth = 0;

/** Runs `work` now, or on a microtask when already MAX_DEPTH nested calls deep. */
export function nested(work: () => void): void {
  if (depth >= MAX_DEPTH) {
    queueMicrotask(() => nested(work));
    return;
  }
  depth++;
  try {
    work();
  } finally {
    depth--;
  }
}

/** {@link nested} for work that returns a promise: the promise settles as `work`'s does. */
export function nestedAsync(work: () => Promise<void>): Promise<void> {
  if (depth >= MAX_DEPTH) return new Promise((resolve) => queueMicrotask(() => resolve(nestedAsync(work))));
  depth++;
  try {
    return work();
  } finally {
    depth--;
  }
}
