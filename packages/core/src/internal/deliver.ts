// Abort delivery without recursion.
//
// Goal. Cancelling a chain of nested nurseries or cancel scopes (each opened on the signal of the
// one above) must work at any depth. Delivering an abort calls listeners synchronously, and each
// listener of this library aborts the next level down: task -> its signal's listeners -> the inner
// nursery -> its newest child -> ... Done by plain calls, that is ~6 stack frames per level, and
// about 800 levels overflow the stack (issue 16, item 5).
//
// Design. Deciding that something is cancelled (setting its reason, first one wins) stays
// synchronous and immediate; delivering it (running its hooks, aborting its AbortController) goes
// through `deliver()`. Deliveries nest as plain calls up to MAX_DEPTH levels, exactly as before,
// so shallow trees keep every same-turn order they had (a `Task.cancel()` from a hook still runs
// that task's hooks before the rest of the current listeners: hostile.test.ts, "re-entrant
// calls"). A delivery requested deeper than that is queued, and the outermost delivery runs the
// queue, in request order, before it returns. So the stack stays bounded at any depth and
// everything still happens in the same synchronous turn as the cancellation that started it.
//
// Designs that do not work. Queueing every nested delivery (no depth allowance) changes the order
// of same-turn cleanups in shallow trees, which code and tests rely on. Delivering on a microtask
// makes `signal.aborted` false right after `cancel()`. Catching RangeError and retrying later
// leaves half-notified listeners.
//
// Order kept. Newest first and "each child's cleanup before the next older one is cancelled" are
// decided by the nursery (it cancels the next child only when the current one settled), not here.
// Past MAX_DEPTH only the order of a nested level's listeners relative to later listeners on the
// same signal changes: they run after them instead of inside them.
//
// Known limit. Past MAX_DEPTH, a cancellation requested from a hook is decided at once (its reason
// is set, `cancelReasonOf` sees it) but its signal aborts a moment later, still in the same turn.
// Tests: nursery.test.ts and cancel-scope.test.ts, "regression: cancelling a 10,000-deep chain";
// bench scenario 7 (100,000 levels).

/** Something whose cancellation has been decided and must now be delivered. */
export interface Delivery {
  deliverAbort(): void;
}

/** Nested deliveries allowed as plain calls; each level costs roughly 10-15 stack frames. */
const MAX_DEPTH = 32;

const queue: Delivery[] = [];
let depth = 0;

/** Runs `item.deliverAbort()` now, or queues it when deliveries are already nested MAX_DEPTH deep. */
export function deliver(item: Delivery): void {
  if (depth >= MAX_DEPTH) {
    queue.push(item);
    return;
  }
  depth++;
  try {
    item.deliverAbort();
  } finally {
    depth--;
    if (depth === 0 && queue.length !== 0) drain();
  }
}

/** Runs the queued deliveries (and those they queue) at the top level. */
function drain(): void {
  let failed = false;
  let failure: unknown;
  // A throw from one delivery must not strand the others queued behind it.
  for (let i = 0; i < queue.length; i++) {
    depth = 1;
    try {
      (queue[i] as Delivery).deliverAbort();
    } catch (err) {
      if (!failed) {
        failed = true;
        failure = err;
      }
    }
  }
  depth = 0;
  queue.length = 0;
  if (failed) throw failure;
}
