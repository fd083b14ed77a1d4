// The platform-neutral part of the runtime-conformance checks: core's semantics, timers, fetch
// against a loopback server, and streams over web streams, written against the public API only,
// with no test framework and no Node API, so that the same file runs unchanged in Node, a browser
// page and a workerd worker (bundled by esbuild for the last two).
//
// `runNeutralSuite({ base, processEntry })` runs every check and resolves with
// `{ passed: string[], failed: { name, error }[] }`; it never rejects. `base` is the loopback
// server's origin (it must answer GET /text with "hello"); `processEntry` says whether the runtime
// is expected to have the real run() (Node, Bun, Deno) or the throwing stand-in (browsers, workerd).
import {
  CancelledError,
  NurseryError,
  TimeoutError,
  channels,
  failAfter,
  isCancellation,
  moveOnAfter,
  nursery,
  openNursery,
  run,
} from "@nursery/core";
import { dumpTree, enableCurrentTask } from "@nursery/core/debug";
import { fetch } from "@nursery/fetch";
import { channel, iterate, map, merge, pipeline, take } from "@nursery/streams";
import { sleep, timeout } from "@nursery/timers";

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** Resolves with what `fn` threw, or throws when it did not. */
async function rejection(fn, what) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error(`${what}: expected a rejection, got none`);
}

/** A task body that waits for its signal and records its cleanup. */
function waitForCancel(log, name) {
  return (task) =>
    new Promise((_, reject) => {
      task.signal.addEventListener("abort", () => {
        log.push(`cleanup ${name}`);
        reject(task.signal.reason);
      });
    });
}

const checks = {
  "a nursery settles after its body and every child, with their values": async () => {
    const value = await nursery(async (n) => {
      const a = n.spawn(async () => "a");
      const b = n.spawn(async () => {
        await sleep(1);
        return "b";
      });
      return [await a, await b];
    });
    equal(value, ["a", "b"], "values");
  },

  "cancel() cancels children newest-first and the nursery resolves": async () => {
    const log = [];
    await nursery(async (n) => {
      for (const name of ["first", "second", "third"]) n.spawn(waitForCancel(log, name), { name });
      await sleep(1);
      n.cancel();
    });
    equal(log, ["cleanup third", "cleanup second", "cleanup first"], "cleanup order");
  },

  "a failing child cancels its siblings and the nursery rejects with only the real error": async () => {
    const log = [];
    const boom = new Error("boom");
    const err = await rejection(
      () =>
        nursery(async (n) => {
          n.spawn(waitForCancel(log, "older"), { name: "older" });
          n.spawn(waitForCancel(log, "newer"), { name: "newer" });
          await sleep(1);
          n.spawn(async () => {
            throw boom;
          });
        }),
      "failing child",
    );
    assert(err instanceof NurseryError, `a NurseryError, got ${err}`);
    equal(err.errors.length, 1, "errors listed");
    assert(err.errors[0] === boom, "the child's own error");
    equal(log, ["cleanup newer", "cleanup older"], "cleanup order");
  },

  "an outside signal rejects with CancelledError from the parent": async () => {
    const outside = new AbortController();
    const err = await rejection(
      () =>
        nursery(
          async (n) => {
            n.spawn(waitForCancel([], "child"));
            await sleep(1);
            outside.abort("stop");
          },
          { signal: outside.signal },
        ),
      "outside cancel",
    );
    assert(err instanceof CancelledError, `a CancelledError, got ${err}`);
    equal(err.reason.source, "parent", "reason source");
  },

  "openNursery with await using waits for its children": async () => {
    const log = [];
    {
      await using n = openNursery({ name: "scoped" });
      n.spawn(async () => {
        await sleep(1);
        log.push("child done");
      });
    }
    equal(log, ["child done"], "log after dispose");
  },

  "failAfter rejects with TimeoutError and moveOnAfter resolves undefined": async () => {
    const never = (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    const err = await rejection(() => failAfter(5, never), "failAfter");
    assert(err instanceof TimeoutError, `a TimeoutError, got ${err}`);
    assert(!isCancellation(err), "TimeoutError is a verdict, not a cancellation");
    equal(await moveOnAfter(5, never), undefined, "moveOnAfter");
  },

  "isCancellation recognises the platform's AbortError and TimeoutError": async () => {
    const controller = new AbortController();
    controller.abort();
    assert(isCancellation(controller.signal.reason), "AbortError DOMException");
    const timedOut = AbortSignal.timeout(1);
    // Node does not keep the process alive for AbortSignal.timeout(): an interval does, meanwhile.
    const keepAlive = setInterval(() => undefined, 1000);
    await new Promise((resolve) => timedOut.addEventListener("abort", resolve));
    clearInterval(keepAlive);
    assert(isCancellation(timedOut.reason), "TimeoutError DOMException");
    assert(!isCancellation(new Error("plain")), "a plain error");
  },

  "timers: sleep rejects with the signal's reason when cancelled, timeout() with TimeoutError": async () => {
    const controller = new AbortController();
    const sleeping = sleep(60_000, { signal: controller.signal });
    controller.abort("enough");
    equal(await rejection(() => sleeping, "sleep"), "enough", "sleep rejection");
    const err = await rejection(() => timeout(5, (signal) => sleep(60_000, { signal })), "timeout");
    assert(err instanceof TimeoutError, `a TimeoutError, got ${err}`);
  },

  "fetch: a task-bound request reads its body from the loopback server": async ({ base }) => {
    const text = await nursery(async (n) => n.spawn(async (task) => (await fetch(task, `${base}/text`)).text()));
    equal(text, "hello", "body");
  },

  "fetch: an already cancelled task sends nothing and rejects with its reason": async ({ base }) => {
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    const err = await rejection(() => fetch({ signal: controller.signal }, `${base}/text`), "fetch");
    equal(err.message, "gone", "rejection");
  },

  "streams: cancelling iterate() over a ReadableStream cancels the stream with the reason": async () => {
    let cancelledWith;
    let pulls = 0;
    const stream = new ReadableStream({
      pull(c) {
        pulls += 1;
        c.enqueue(pulls);
      },
      cancel(reason) {
        cancelledWith = reason;
      },
    });
    const seen = [];
    await nursery(async (n) => {
      n.spawn(async (task) => {
        for await (const chunk of iterate(stream, { signal: task.signal })) {
          seen.push(chunk);
          if (seen.length === 3) n.cancel("done reading");
        }
      });
    });
    equal(seen, [1, 2, 3], "chunks before the cancel");
    assert(cancelledWith instanceof CancelledError, `stream cancelled with a CancelledError, got ${cancelledWith}`);
    equal(cancelledWith.reason.detail, "done reading", "reason detail");
  },

  "streams: channel, map, take and merge move values in order": async () => {
    const ch = channel(2);
    await nursery(async (n) => {
      n.spawn(async () => {
        for (const v of [1, 2, 3]) await ch.send(v);
        ch.close();
      });
      const doubled = [];
      for await (const v of map(ch, async (x) => x * 2)) doubled.push(v);
      equal(doubled, [2, 4, 6], "map over a channel");
    });
    const firstTwo = [];
    for await (const v of take([10, 20, 30], 2)) firstTwo.push(v);
    equal(firstTwo, [10, 20], "take");
    const merged = [];
    for await (const v of merge([[1], [2]])) merged.push(v);
    equal(merged.sort(), [1, 2], "merge");
  },

  "diagnostics channels deliver events to a subscriber and stop after unsubscribe": async () => {
    const names = [];
    const onSpawn = (event) => names.push(event.task.name);
    channels.spawn.subscribe(onSpawn);
    try {
      await nursery((n) => n.spawn(() => undefined, { name: "watched" }));
    } finally {
      channels.spawn.unsubscribe(onSpawn);
    }
    await nursery((n) => n.spawn(() => undefined, { name: "unwatched" }));
    equal(names, ["watched"], "spawn events");
    assert(!channels.spawn.hasSubscribers, "no subscriber left");
  },

  "dumpTree renders the live tasks": async () => {
    let tree = "";
    await nursery(
      async (n) => {
        n.spawn(waitForCancel([], "worker"), { name: "worker" });
        tree = dumpTree(n);
        n.cancel();
      },
      { name: "root" },
    );
    assert(tree.startsWith("root") && tree.includes("worker [running"), `tree was ${JSON.stringify(tree)}`);
  },

  "run(), pipeline() and enableCurrentTask() are present where the runtime supports them, else throw ERR_UNSUPPORTED_RUNTIME":
    async ({ processEntry }) => {
      if (processEntry) {
        const code = await run(() => undefined, { exit: false, signals: [], catchUncaught: false });
        equal(code, 0, "run() exit code");
        return;
      }
      for (const [what, call] of [
        ["run()", () => run(() => undefined)],
        ["pipeline()", () => pipeline([1], async () => undefined)],
        ["enableCurrentTask()", () => enableCurrentTask()],
      ]) {
        let thrown;
        try {
          call();
        } catch (err) {
          thrown = err;
        }
        equal(thrown?.code, "ERR_UNSUPPORTED_RUNTIME", `${what} error code`);
        assert(thrown.message.startsWith(`${what} needs `), `${what} message: ${thrown.message}`);
      }
    },
};

/** Runs every check in order; never rejects. */
export async function runNeutralSuite(options) {
  const passed = [];
  const failed = [];
  for (const [name, check] of Object.entries(checks)) {
    try {
      await check(options);
      passed.push(name);
    } catch (err) {
      failed.push({ name, error: String(err?.stack ?? err) });
    }
  }
  return { passed, failed };
}

/** How many checks the suite has, so a runner can tell a partial run from a full one. */
export const checkCount = Object.keys(checks).length;
