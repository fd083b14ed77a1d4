// Regression tests for "an unread response body outlives its task" (issue 16, item 14): with
// `Limiter(5)` and 50 tasks that each fetch and return without reading the body, 5 finished and 45
// waited for a slot until a garbage collection happened to collect the 5 bodies. A body is now
// released when its task ends, however it ends (returned, threw, cancelled): the limiter slot is
// freed, the listener and timers are dropped, and the connection is closed, which the server sees
// as its response closing before it was finished.
//
// The server never finishes its responses (headers and a first chunk, then nothing), so only the
// client giving the body back can close them: `responseClosed` resolving with `finished: false` is
// the server's view of the socket being released. On the old code the first test never settles
// (the 45 tasks wait for slots that are never given back) and fails by jest's timeout.
import { describe, expect, it } from "@jest/globals";
import { CancelledError, nursery, NurseryError } from "@nursery/core";
import { fetch, Limiter, TaskEndedError } from "@nursery/fetch";
import { serverPerTest, type Handler } from "./support/server.js";

const start = serverPerTest();

/** Sends the headers and a first chunk of the body, then holds the response open for ever. */
const endless: Handler = ({ res }) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.write("first chunk of a body nobody reads\n");
};

describe("fetch: an unread response body", () => {
  it("is released when its task returns: 50 tasks on Limiter(5) all finish and the server sees every response closed", async () => {
    const server = await start(endless);
    const limiter = new Limiter({ limit: 5 });
    const statuses: number[] = [];
    await nursery(async (n) => {
      for (let i = 0; i < 50; i++) {
        n.spawn(async (task) => {
          const res = await fetch(task, server.url(`/${i}`), { limiter });
          statuses.push(res.status); // returns without reading or cancelling the body
        });
      }
    });
    expect(statuses).toHaveLength(50);
    expect(server.count).toBe(50);
    expect(server.maxActive).toBeLessThanOrEqual(5);
    const closed = await Promise.all(server.exchanges.map((e) => e.responseClosed));
    expect(closed.every((c) => !c.finished)).toBe(true);
    expect(limiter.active).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it("is released when its task throws: the slot is free for the next request and the server sees the response closed", async () => {
    const server = await start(endless);
    const limiter = new Limiter({ limit: 1 });
    const failure = new Error("failed after the headers");
    const outcome = await nursery(async (n) => {
      n.spawn(async (task) => {
        await fetch(task, server.url("/throws"), { limiter });
        throw failure;
      });
    }).catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(NurseryError);
    expect((outcome as NurseryError).errors).toEqual([failure]);
    await expect(server.exchanges[0]?.responseClosed).resolves.toEqual({ finished: false });
    expect(limiter.active).toBe(0);
    // The slot is really free: a second request gets it.
    const status = await nursery(async (n) => n.spawn(async (task) => (await fetch(task, server.url("/next"), { limiter })).status));
    expect(status).toBe(200);
    expect(server.count).toBe(2);
  });

  it("is released when its task is cancelled, and the nursery resolves", async () => {
    const server = await start(endless);
    const limiter = new Limiter({ limit: 1 });
    await nursery(async (n) => {
      n.spawn(async (task) => {
        await fetch(task, server.url("/cancelled"), { limiter });
        await new Promise((_, reject) => task.signal.addEventListener("abort", () => reject(task.signal.reason), { once: true }));
      });
      await server.when(() => server.count === 1);
      n.cancel("done");
    });
    await expect(server.exchanges[0]?.responseClosed).resolves.toEqual({ finished: false });
    expect(limiter.active).toBe(0);
  });

  it("read after its task returned rejects with TaskEndedError, phase read, as before", async () => {
    const server = await start(endless);
    const res = await nursery(async (n) => {
      // Wrapped: a Response is not a thenable, but keep the shape of the documented mistake plain.
      return n.spawn(async (task) => ({ res: await fetch(task, server.url("/late")) }));
    });
    const err = await res.res.text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskEndedError);
    expect((err as TaskEndedError).phase).toBe("read");
    expect(err).not.toBeInstanceOf(CancelledError);
    await expect(server.exchanges[0]?.responseClosed).resolves.toEqual({ finished: false });
  });
});

describe("fetch: a call the task did not await", () => {
  it("stops waiting for a limiter slot when the task returns, rejecting with TaskEndedError (phase send), sending nothing", async () => {
    const server = await start(endless);
    const limiter = new Limiter({ limit: 1 });
    let unawaited!: Promise<unknown>;
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        await fetch(task, server.url("/holds-the-slot"), { limiter });
        // The slot is held by this task's body, so this call waits; the task returns meanwhile.
        unawaited = fetch(task, server.url("/never-sent"), { limiter }).catch((e: unknown) => e);
      });
    });
    const err = await unawaited;
    expect(err).toBeInstanceOf(TaskEndedError);
    expect((err as TaskEndedError).phase).toBe("send");
    expect(server.count).toBe(1);
    expect(limiter.active).toBe(0);
    expect(limiter.waiting).toBe(0);
  });
});
