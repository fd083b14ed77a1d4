// @nursery/streams over the runtime's web streams and its node:stream.
import { Readable, PassThrough } from "node:stream";
import { createGzip, createGunzip } from "node:zlib";
import { nursery, CancelledError } from "@nursery/core";
import { iterate, pipeline, channel } from "@nursery/streams";
import { test, assert } from "../harness.mjs";

test("streams: cancelling iteration over a web ReadableStream cancels the stream with the task's reason", async () => {
  const log = [];
  let cancelledWith;
  const stream = new ReadableStream({
    pull(controller) {
      controller.enqueue(`chunk ${log.length}`);
    },
    cancel(reason) {
      cancelledWith = reason;
    },
  }, { highWaterMark: 0 });
  await nursery(async (n) => {
    n.spawn(async ({ signal }) => {
      for await (const chunk of iterate(stream, { signal })) {
        log.push(chunk);
        if (log.length === 2) n.cancel("enough");
      }
    });
  });
  assert.deepEqual(log, ["chunk 0", "chunk 1"]);
  assert.ok(cancelledWith instanceof CancelledError, `cancel() got ${cancelledWith}`);
});

test("streams: cancelling iteration over a Node Readable destroys it, once", async () => {
  const source = new PassThrough({ objectMode: true });
  let destroys = 0;
  const closed = new Promise((resolve) => source.on("close", () => (destroys++, resolve())));
  const seen = [];
  await nursery(async (n) => {
    n.spawn(async ({ signal }) => {
      for await (const line of iterate(source, { signal })) {
        seen.push(line);
        n.cancel();
      }
    });
    source.write("GET /");
  });
  assert.deepEqual(seen, ["GET /"]);
  assert.equal(source.destroyed, true);
  await closed; // "close" is emitted on the next tick after destroy()
  assert.equal(destroys, 1);
});

test("streams: pipeline runs Node transforms and an async stage to the end", async () => {
  const text = await pipeline(
    Readable.from(["one\n", "two\n"]),
    createGzip(),
    createGunzip(),
    async function join(chunks) {
      let all = "";
      for await (const chunk of chunks) all += chunk.toString().toUpperCase();
      return all;
    },
  );
  assert.equal(text, "ONE\nTWO\n");
});

test("streams: a cancelled pipeline destroys its Node stages and rejects with the cancellation", async () => {
  const controller = new AbortController();
  const gzip = createGzip();
  const endless = new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(1024)) });
  const pending = pipeline(endless, gzip, async function drain(chunks) {
    for await (const _ of chunks) controller.abort(new Error("stop"));
  }, { signal: controller.signal });
  const err = await pending.catch((e) => e);
  assert.equal(err.message, "stop");
  assert.equal(gzip.destroyed, true);
});

test("streams: a bounded channel hands items between tasks in order and ends its consumers on close", async () => {
  const jobs = channel(1);
  const got = [];
  await nursery(async (n) => {
    n.spawn(async ({ signal }) => {
      for await (const job of iterate(jobs, { signal })) got.push(job);
    });
    for (const job of ["a", "b", "c"]) await jobs.send(job);
    jobs.close();
  });
  assert.deepEqual(got, ["a", "b", "c"]);
});
