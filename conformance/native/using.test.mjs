// Native `using` / `await using` and SuppressedError, not down-levelled by TypeScript. Loaded only
// by runtimes that have the syntax (expected.mjs: Node 24+, Bun, Deno); features.test.mjs asserts
// that the others really lack it.
import { openNursery, NurseryError } from "@nursery/core";
import { Limiter } from "@nursery/fetch";
import { iterate } from "@nursery/streams";
import { test, assert } from "../harness.mjs";

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

test("native using: `await using n = openNursery()` waits for every child when the block ends", async () => {
  const log = [];
  {
    await using n = openNursery({ name: "block" });
    n.spawn(async () => {
      await turn();
      log.push("child done");
    });
    log.push("block ends");
  }
  log.push("after the block");
  assert.deepEqual(log, ["block ends", "child done", "after the block"]);
});

test("native using: nurseries opened in one block are disposed newest-first", async () => {
  const log = [];
  {
    await using outer = openNursery({ name: "outer" });
    outer.spawn(async () => log.push("outer child"));
    await using inner = openNursery({ name: "inner" });
    inner.spawn(async () => {
      await turn();
      log.push("inner child");
    });
  }
  assert.deepEqual(log, ["outer child", "inner child"]);
});

test("native using: an error thrown while disposing after the block threw is a SuppressedError holding both", async () => {
  const blockError = new Error("block failed");
  const childError = new Error("child failed");
  let err;
  try {
    await using n = openNursery({ name: "jobs" });
    n.spawn(async () => {
      await turn();
      throw childError;
    });
    throw blockError;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof SuppressedError, `caught ${err}`);
  assert.ok(err.error instanceof NurseryError, "error: what disposal threw");
  assert.deepEqual(err.error.errors, [childError]);
  assert.equal(err.suppressed, blockError, "suppressed: what the block threw");
});

test("native using: the block's own error passes through unchanged when disposal succeeds", async () => {
  const blockError = new Error("block failed");
  const log = [];
  const err = await (async () => {
    await using n = openNursery();
    n.spawn(async () => {
      await turn();
      log.push("child finished");
    });
    throw blockError;
  })().catch((e) => e);
  assert.equal(err, blockError);
  assert.deepEqual(log, ["child finished"]); // disposal still waited for the child
});

test("native using: a Limiter slot held with `using` is released when the block ends, even on error", async () => {
  const limiter = new Limiter({ limit: 1 });
  const task = { signal: new AbortController().signal };
  const err = await (async () => {
    using slot = await limiter.acquire(task);
    assert.ok(slot);
    throw new Error("work failed");
  })().catch((e) => e);
  assert.equal(err.message, "work failed");
  using again = await limiter.acquire(task); // would wait forever had the slot leaked
  assert.ok(again);
});

test("native using: `await using` a task iterator cancels its web stream when the block ends", async () => {
  let cancelled = false;
  const stream = new ReadableStream({ pull: (c) => c.enqueue("tick"), cancel: () => void (cancelled = true) });
  {
    await using ticks = iterate(stream);
    assert.deepEqual(await ticks.next(), { value: "tick", done: false });
  }
  assert.equal(cancelled, true);
});
