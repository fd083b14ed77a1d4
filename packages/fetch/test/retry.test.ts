import { describe, expect, it } from "@jest/globals";
import { CancelledError, nursery, TimeoutError } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { backoffDelay, DEFAULT_RETRY_METHODS, fetch, HttpError } from "@nursery/fetch";
import { flaky, listeners, until, serverPerTest } from "./support/server.js";

const start = serverPerTest();


const PENDING = Symbol("pending");

describe("fetch retry", () => {
  it("retries a 503 exactly when Retry-After says, on the virtual clock", async () => {
    const srv = await start(flaky(1, "2"));
    const clock = new VirtualClock();
    let text: unknown = PENDING;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          text = await (await fetch(task, srv.url(), { retry: 3 })).text();
        });
        await srv.when(() => srv.count === 1);
        await until(() => clock.pending === 1); // the backoff sleep is on the clock
        await clock.advance(1_999);
        expect(srv.count).toBe(1);
        await clock.advance(1);
        await srv.when(() => srv.count === 2);
      },
      { clock },
    );
    expect(text).toBe("ok");
    expect(clock.now()).toBe(2_000);
    expect(clock.pending).toBe(0);
  });

  it("honours Retry-After given as an HTTP date", async () => {
    const srv = await start(flaky(1, new Date(Date.now() + 3_000).toUTCString()));
    const clock = new VirtualClock();
    let status = 0;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          const res = await fetch(task, srv.url(), { retry: 1 });
          status = res.status;
          await res.body?.cancel();
        });
        await until(() => clock.pending === 1);
        expect(clock.nextDue).toBeGreaterThan(1_000); // seconds resolution: about 2-3 s from now
        expect(clock.nextDue).toBeLessThanOrEqual(3_000);
        await clock.advance(3_000);
      },
      { clock },
    );
    expect(status).toBe(200);
    expect(srv.count).toBe(2);
  });

  it("backs off between network failures with the given delays, then rejects with the last failure", async () => {
    const srv = await start(({ socket }) => socket.destroy()); // every attempt fails on the wire
    const clock = new VirtualClock();
    const delays: number[] = [];
    let outcome: unknown = PENDING;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          outcome = await fetch(task, srv.url(), {
            retry: { limit: 2, delay: (retry) => (delays.push(retry), 100 * retry) },
          }).catch((e: unknown) => e);
        });
        await until(() => clock.pending === 1);
        expect(clock.nextDue).toBe(100);
        await clock.advance(100);
        await srv.when(() => srv.count === 2);
        await until(() => clock.pending === 1);
        expect(clock.nextDue).toBe(300);
        await clock.advance(200);
        await srv.when(() => srv.count === 3);
      },
      { clock },
    );
    expect(delays).toEqual([1, 2]);
    // undici's TypeError("fetch failed"), as the platform reports it (from Node's realm, not jest's).
    expect(outcome).toMatchObject({ name: "TypeError", message: "fetch failed" });
    expect(srv.count).toBe(3);
  });

  it("does not retry a failure of the fetch algorithm itself, such as an unexpected redirect", async () => {
    const srv = await start(({ res }) => {
      res.writeHead(302, { location: "/elsewhere" });
      res.end();
    });
    const outcome = await nursery(async (n) =>
      n.spawn((task) => fetch(task, srv.url(), { redirect: "error", retry: 3 }).catch((e: unknown) => e)),
    );
    expect(outcome).toMatchObject({ name: "TypeError", message: "fetch failed" });
    expect(srv.count).toBe(1);
  });

  it("retries an attempt that ran out of `timeout`, and the retry can succeed", async () => {
    const srv = await start(({ res, index }) => {
      if (index > 1) res.end("second time lucky");
    });
    const clock = new VirtualClock();
    let text: unknown = PENDING;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          text = await (await fetch(task, srv.url(), { timeout: 1_000, retry: { limit: 1, delay: () => 10 } })).text();
        });
        const first = await srv.nextRequest();
        await clock.advance(1_000);
        await first.socketClosed; // the timed-out attempt was aborted
        await until(() => clock.pending === 1);
        await clock.advance(10);
        await srv.when(() => srv.count === 2);
      },
      { clock },
    );
    expect(text).toBe("second time lucky");
  });

  it("rejects with the last attempt's TimeoutError when every attempt times out", async () => {
    const srv = await start(() => {});
    const clock = new VirtualClock();
    let outcome: unknown = PENDING;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          outcome = await fetch(task, srv.url(), { timeout: 1_000, retry: { limit: 1, delay: () => 10 } }).catch(
            (e: unknown) => e,
          );
        });
        await srv.nextRequest();
        await clock.advance(1_000);
        await until(() => clock.nextDue === 1_010); // the backoff
        await clock.advance(10);
        await srv.nextRequest();
        await clock.advance(1_000);
        await until(() => outcome !== PENDING);
      },
      { clock },
    );
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect((outcome as Error).message).toContain("(attempt 2)");
    expect(srv.count).toBe(2);
  });

  it("never retries after cancellation: cancelling during the backoff rejects with the task's reason and sends nothing more", async () => {
    const srv = await start(flaky(5, "5"));
    const clock = new VirtualClock();
    let outcome: unknown = PENDING;
    let reason: unknown;
    let signal!: AbortSignal;
    await nursery(
      async (n) => {
        const t = n.spawn(async (task) => {
          signal = task.signal;
          outcome = await fetch(task, srv.url(), { retry: 5 }).catch((e: unknown) => e);
          reason = task.signal.reason;
        });
        await until(() => clock.pending === 1);
        t.cancel();
        await until(() => outcome !== PENDING);
        expect(clock.pending).toBe(0); // the backoff timer is gone
        await clock.advance(60_000);
      },
      { clock },
    );
    expect(outcome).toBeInstanceOf(CancelledError);
    expect(outcome).toBe(reason);
    expect(srv.count).toBe(1);
    expect(listeners(signal)).toBe(0);
  });

  it("does not retry methods outside `methods`: POST is returned as it is by default", async () => {
    const srv = await start(flaky(1, "1"));
    expect(DEFAULT_RETRY_METHODS).not.toContain("POST");
    const status = await nursery(async (n) =>
      n.spawn(async (task) => {
        const res = await fetch(task, srv.url(), { method: "POST", body: "payload", retry: 3 });
        await res.text();
        return res.status;
      }),
    );
    expect(status).toBe(503);
    expect(srv.count).toBe(1);
  });

  it("retries POST when `methods` includes it, and resends the same body", async () => {
    const bodies: string[] = [];
    const srv = await start(({ req, res, index }) => {
      let data = "";
      req.on("data", (chunk: Buffer) => (data += chunk.toString()));
      req.on("end", () => {
        bodies.push(data);
        res.statusCode = index === 1 ? 503 : 201;
        res.end();
      });
    });
    const clock = new VirtualClock({ autojump: true });
    const status = await nursery(
      async (n) =>
        n.spawn(async (task) => {
          const res = await fetch(task, srv.url(), {
            method: "POST",
            body: JSON.stringify({ id: 7 }),
            retry: { limit: 1, methods: ["POST"], delay: () => 50 },
          });
          return res.status;
        }),
      { clock },
    );
    expect(status).toBe(201);
    expect(bodies).toEqual(['{"id":7}', '{"id":7}']);
  });

  it("does not retry when Retry-After asks for longer than `maxRetryAfter`: the response is the answer", async () => {
    const srv = await start(flaky(1, "120"));
    const err = await nursery(async (n) =>
      n.spawn((task) => fetch(task, srv.url(), { retry: { limit: 3, maxRetryAfter: 60_000 }, throwHttpErrors: true }).catch((e: unknown) => e)),
    );
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(503);
    expect((err as HttpError).headers.get("retry-after")).toBe("120");
    expect(srv.count).toBe(1);
  });

  it("does not start a backoff that would outlast the deadline", async () => {
    const srv = await start(flaky(1, "5"));
    const clock = new VirtualClock();
    const status = await nursery(
      async (n) =>
        n.spawn(async (task) => {
          const res = await fetch(task, srv.url(), { retry: 3, deadline: 4_000 });
          await res.body?.cancel();
          return res.status;
        }),
      { clock },
    );
    expect(status).toBe(503);
    expect(srv.count).toBe(1);
    expect(clock.now()).toBe(0);
  });

  it("stops retrying when the next backoff would outlast the deadline, and returns the last response", async () => {
    const srv = await start(flaky(5));
    const clock = new VirtualClock();
    let status: unknown = PENDING;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          const res = await fetch(task, srv.url(), { retry: { limit: 5, delay: () => 400 }, deadline: 1_000 });
          await res.body?.cancel();
          status = res.status;
        });
        await until(() => clock.nextDue === 400);
        await clock.advance(400);
        await srv.when(() => srv.count === 2);
        await until(() => clock.nextDue === 800);
        await clock.advance(400);
        await srv.when(() => srv.count === 3);
        await until(() => status !== PENDING); // a third backoff would end at 1 200, past the deadline
      },
      { clock },
    );
    expect(status).toBe(503);
    expect(srv.count).toBe(3);
    expect(clock.now()).toBe(800);
  });

  it("rejects with the deadline's TimeoutError when it passes during an attempt, retries left or not", async () => {
    const srv = await start(() => {});
    const clock = new VirtualClock();
    let outcome: unknown = PENDING;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          outcome = await fetch(task, srv.url(), { retry: 3, deadline: 1_000 }).catch((e: unknown) => e);
        });
        const exchange = await srv.nextRequest();
        await clock.advance(1_000);
        await exchange.socketClosed;
        await until(() => outcome !== PENDING);
      },
      { clock },
    );
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect(outcome).toMatchObject({ timeout: 1_000, scope: `fetch GET ${srv.url()}` });
    expect(srv.count).toBe(1);
    expect(clock.pending).toBe(0);
  });
});

describe("backoffDelay", () => {
  it("doubles from 300 ms per retry with equal jitter, capped at 30 s", () => {
    expect(backoffDelay(1, () => 0)).toBe(150);
    expect(backoffDelay(1, () => 1)).toBe(300);
    expect(backoffDelay(3, () => 0.5)).toBe(900);
    expect(backoffDelay(20, () => 1)).toBe(30_000);
    expect(backoffDelay(20, () => 0)).toBe(15_000);
  });
});
