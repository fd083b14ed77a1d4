// @nursery/core's semantics (design §4): the same assertions on every runtime.
import {
  nursery,
  openNursery,
  moveOnAfter,
  failAfter,
  onCancel,
  isCancellation,
  CancelledError,
  NurseryError,
  NurseryClosedError,
  TimeoutError,
} from "@nursery/core";
import { test, assert } from "../harness.mjs";

const forever = (signal) =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

test("core: cancel() cancels children newest-first, each after the newer one's cleanup finished", async () => {
  const log = [];
  const value = await nursery(async (n) => {
    for (const name of ["db", "server", "request"]) {
      n.spawn(async (task) => {
        try {
          await forever(task.signal);
        } finally {
          log.push(`cancel ${name}`);
          await turn(); // an asynchronous cleanup: the next older child must wait for it
          log.push(`closed ${name}`);
        }
      }, { name });
    }
    await turn();
    n.cancel("stop");
    return "body value";
  });
  assert.equal(value, "body value"); // cancel() is absorbed: the nursery resolves
  assert.deepEqual(log, ["cancel request", "closed request", "cancel server", "closed server", "cancel db", "closed db"]);
});

test("core: a failing child cancels its siblings newest-first and the nursery rejects with NurseryError", async () => {
  const log = [];
  const boom = new Error("boom");
  const err = await nursery(async (n) => {
    for (const name of ["a", "b"]) {
      n.spawn(async (task) => {
        try {
          await forever(task.signal);
        } catch (reason) {
          log.push(`${name}: ${reason.reason.source} by ${reason.reason.task}`);
          throw reason;
        }
      }, { name });
    }
    n.spawn(async () => {
      await turn();
      throw boom;
    }, { name: "writer" });
  }).then(() => assert.fail("resolved"), (e) => e);
  assert.ok(err instanceof NurseryError && err instanceof AggregateError);
  assert.equal(err.code, "ERR_NURSERY_FAILED");
  assert.deepEqual(err.errors, [boom]); // cancellations are not errors
  assert.deepEqual(log, ["b: sibling-failed by writer", "a: sibling-failed by writer"]);
});

test("core: an error thrown by a cleanup after an error is kept, after the first one", async () => {
  const first = new Error("first");
  const cleanup = new Error("cleanup failed");
  const err = await nursery(async (n) => {
    n.spawn(async (task) => {
      try {
        await forever(task.signal);
      } finally {
        // eslint-disable-next-line no-unsafe-finally -- the point: a cleanup that throws
        throw cleanup;
      }
    }, { name: "flusher" });
    await turn();
    throw first;
  }).catch((e) => e);
  assert.ok(err instanceof NurseryError);
  assert.deepEqual(err.errors, [first, cleanup]);
});

test("core: an outside AbortSignal rejects the nursery with CancelledError carrying the reason", async () => {
  const outside = new AbortController();
  let seen;
  const pending = nursery(async (n) => {
    n.spawn(async (task) => {
      try {
        await forever(task.signal);
      } catch (e) {
        seen = e;
      }
    });
    await turn();
    outside.abort("shutdown");
  }, { signal: outside.signal });
  const err = await pending.catch((e) => e);
  assert.ok(err instanceof CancelledError);
  assert.equal(err.code, "ERR_CANCELLED");
  assert.equal(err.reason.source, "parent");
  assert.equal(seen, err, "every task sees the same CancelledError");
  assert.equal(isCancellation(err), true);
});

test("core: failAfter rejects with TimeoutError, moveOnAfter resolves undefined", async () => {
  const err = await failAfter(1, (signal) => forever(signal)).catch((e) => e);
  assert.ok(err instanceof TimeoutError);
  assert.equal(err.code, "ERR_TIMEOUT");
  assert.equal(isCancellation(err), false); // a verdict, not a cancellation
  assert.equal(await moveOnAfter(1, (signal) => forever(signal)), undefined);
});

test("core: a deadline inside a cancelled nursery rethrows the outer cancellation, not TimeoutError", async () => {
  const outside = new AbortController();
  const err = await nursery(async (n) => {
    const inner = failAfter(60_000, (signal) => forever(signal), { signal: n.signal });
    outside.abort("outer");
    await inner;
  }, { signal: outside.signal }).catch((e) => e);
  assert.ok(err instanceof CancelledError);
  assert.equal(err.reason.source, "parent");
});

test("core: a shielded scope ignores outer cancellation and keeps its own deadline", async () => {
  const outside = new AbortController();
  outside.abort("outer");
  const value = await moveOnAfter(60_000, async (signal) => {
    await turn();
    return signal.aborted ? "aborted" : "shielded";
  }, { signal: outside.signal, shield: true });
  assert.equal(value, "shielded");
  const err = await failAfter(1, (signal) => forever(signal), { signal: outside.signal, shield: true }).catch((e) => e);
  assert.ok(err instanceof TimeoutError);
});

test("core: onCancel hooks run once, on cancellation only, and an ended nursery refuses spawn", async () => {
  const log = [];
  let held;
  await nursery(async (n) => {
    held = n;
    n.spawn((task) => new Promise((resolve) => onCancel(task, () => (log.push("hook"), resolve()))));
    n.spawn(async () => log.push("done"));
    await turn();
    n.cancel();
  });
  assert.deepEqual(log, ["done", "hook"]);
  assert.throws(() => held.spawn(() => undefined), (e) => e instanceof NurseryClosedError && e.code === "ERR_NURSERY_CLOSED");
});

test("core: openNursery's asyncDispose waits for children and reports a failure", async () => {
  const n = openNursery({ name: "disposable" });
  const log = [];
  n.spawn(async () => {
    await turn();
    log.push("child done");
  });
  await n[Symbol.asyncDispose]();
  assert.deepEqual(log, ["child done"]);
  const failing = openNursery();
  failing.spawn(async () => {
    throw new Error("child failed");
  });
  const err = await failing[Symbol.asyncDispose]().catch((e) => e);
  assert.ok(err instanceof NurseryError);
  assert.equal(err.errors[0].message, "child failed");
});

test("core: isCancellation recognises the platform's AbortError and TimeoutError", async () => {
  const controller = new AbortController();
  controller.abort();
  assert.equal(isCancellation(controller.signal.reason), true);
  const timedOut = AbortSignal.timeout(1);
  await new Promise((resolve) => timedOut.addEventListener("abort", resolve, { once: true }));
  assert.equal(timedOut.reason.name, "TimeoutError");
  assert.equal(isCancellation(timedOut.reason), true);
  assert.equal(isCancellation(new Error("plain")), false);
});

test("core: bad arguments throw the house TypeError naming argument, value and type", () => {
  assert.throws(() => nursery(42), (e) => e instanceof TypeError && /^Expected `body` to be .*, got `42` \(number\)$/.test(e.message));
  assert.throws(
    () => nursery(() => undefined, { timeout: -1 }),
    (e) => e instanceof TypeError && e.message.includes("`timeout`") && e.message.includes("`-1` (number)"),
  );
});
