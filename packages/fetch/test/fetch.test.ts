import { describe, expect, it } from "@jest/globals";
import { setMaxListeners } from "node:events";
import { CancelledError, isCancellation, nursery, TimeoutError, type TaskContext } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { fetch, Limiter, TaskEndedError } from "@nursery/fetch";
import { listeners, until, serverPerTest } from "./support/server.js";

const start = serverPerTest();

/** Resolves never; rejects with the task's reason once it is cancelled. */
function untilCancelled(task: TaskContext): Promise<never> {
  return new Promise((_, reject) => {
    if (task.signal.aborted) reject(task.signal.reason);
    task.signal.addEventListener("abort", () => reject(task.signal.reason), { once: true });
  });
}

const PENDING = Symbol("pending");

describe("fetch", () => {
  it("resolves with the response once the headers arrive, and the body reads in full", async () => {
    const srv = await start(({ req, res }) => {
      res.setHeader("x-path", req.url ?? "");
      res.end("hello");
    });
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        const res = await fetch(task, srv.url("/greeting"));
        expect(res.status).toBe(200);
        expect(res.ok).toBe(true);
        expect(res.url).toBe(srv.url("/greeting"));
        expect(res.headers.get("x-path")).toBe("/greeting");
        expect(await res.text()).toBe("hello");
      });
    });
  });

  it("listens to a core task through onCancel: no listener is added to the task's signal", async () => {
    const srv = await start(() => {});
    let during = -1;
    let outcome: unknown;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        const pending = fetch(task, srv.url());
        await srv.when(() => srv.count === 1);
        during = listeners(task.signal);
        outcome = await pending.catch((e: unknown) => e);
      });
      await srv.nextRequest();
      await until(() => during !== -1);
      t.cancel();
    });
    expect(during).toBe(0);
    expect(outcome).toBeInstanceOf(CancelledError); // and cancellation still reaches the request
  });

  it("with a signal as owner, adds exactly one listener per request and removes it once the body is read", async () => {
    const srv = await start(({ res }) => res.end("hello"));
    const controller = new AbortController();
    const owner = { signal: controller.signal };
    const res = await fetch(owner, srv.url());
    expect(listeners(controller.signal)).toBe(1); // the body is not read yet: the request is still live
    expect(await res.text()).toBe("hello");
    expect(listeners(controller.signal)).toBe(0);
  });

  it("returns non-2xx responses as they are by default, like the platform fetch", async () => {
    const srv = await start(({ res }) => {
      res.statusCode = 404;
      res.end("missing");
    });
    const text = await nursery(async (n) =>
      n.spawn(async (task) => {
        const res = await fetch(task, srv.url());
        expect(res.status).toBe(404);
        expect(res.ok).toBe(false);
        return res.text();
      }),
    );
    expect(text).toBe("missing");
  });

  it("keeps the response's url and redirected flag, and supports BYOB reads of the body", async () => {
    const srv = await start(({ req, res }) => {
      if (req.url === "/old") {
        res.writeHead(301, { location: "/new" });
        res.end();
      } else res.end("0123456789");
    });
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        const res = await fetch(task, srv.url("/old"));
        expect(res.url).toBe(srv.url("/new"));
        expect(res.redirected).toBe(true);
        const reader = res.body!.getReader({ mode: "byob" });
        let text = "";
        for (;;) {
          const { done, value } = await reader.read(new Uint8Array(4));
          if (done) break;
          expect(value.byteLength).toBeLessThanOrEqual(4);
          text += new TextDecoder().decode(value);
        }
        expect(text).toBe("0123456789");
        expect(listeners(task.signal)).toBe(0);
      });
    });
  });

  it("aborts an in-flight request when its task is cancelled: the server sees the socket close", async () => {
    const srv = await start(() => {}); // never answers
    let caught: unknown = PENDING;
    let reason: unknown;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        try {
          await fetch(task, srv.url("/hang"));
        } catch (err) {
          caught = err;
          reason = task.signal.reason;
          throw err;
        }
      });
      const exchange = await srv.nextRequest();
      t.cancel("enough");
      await exchange.socketClosed;
      expect(await exchange.responseClosed).toEqual({ finished: false });
    });
    expect(caught).toBeInstanceOf(CancelledError);
    expect(caught).toBe(reason); // the task's own reason, not undici's AbortError
  });

  it("does not abort a request that settled before its task was cancelled", async () => {
    const srv = await start(({ res }) => res.end("done"));
    let base = -1;
    let after = -1;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        base = listeners(task.signal);
        const text = await (await fetch(task, srv.url("/first"))).text();
        expect(text).toBe("done");
        after = listeners(task.signal);
        await untilCancelled(task);
      });
      await srv.nextRequest();
      await until(() => after !== -1);
      t.cancel();
    });
    expect(after).toBe(base); // nothing of the settled request is left on the task's signal
    // The cancellation did not reach the connection: after another full round trip, the settled
    // request's keep-alive socket is still open on the server's side.
    await nursery(async (n) => {
      await n.spawn(async (task) => (await fetch(task, srv.url("/second"))).text());
    });
    const first = srv.exchanges[0]!;
    expect(await first.responseClosed).toEqual({ finished: true });
    expect(first.socket.destroyed).toBe(false);
  });

  it("rejects at once with the reason and sends nothing when the task is already cancelled", async () => {
    const srv = await start();
    const controller = new AbortController();
    const reason = new Error("gone");
    controller.abort(reason);
    await expect(fetch({ signal: controller.signal }, srv.url())).rejects.toBe(reason);
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        await untilCancelled(task).catch(() => {});
        await expect(fetch(task, srv.url())).rejects.toBe(task.signal.reason);
        expect(listeners(task.signal)).toBe(0);
      });
      t.cancel();
    });
    expect(srv.count).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it("cancels a body mid-stream: the read in progress rejects with the task's reason and the server sees the close", async () => {
    const srv = await start(({ res }) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first chunk");
    });
    const log: unknown[] = [];
    let reason: unknown;
    let base = -1;
    await nursery(async (n) => {
      let gotFirst!: () => void;
      const firstRead = new Promise<void>((resolve) => (gotFirst = resolve));
      const t = n.spawn(async (task) => {
        base = listeners(task.signal);
        const res = await fetch(task, srv.url("/stream"));
        const reader = res.body!.getReader();
        log.push(new TextDecoder().decode((await reader.read()).value));
        gotFirst();
        try {
          await reader.read();
          log.push("second read resolved");
        } catch (err) {
          log.push(err);
          reason = task.signal.reason;
          expect(listeners(task.signal)).toBe(base);
          await expect(reader.read()).rejects.toBe(reason); // the body stays unreadable
          throw err;
        }
      });
      const exchange = await srv.nextRequest();
      await firstRead;
      t.cancel();
      await exchange.socketClosed;
      expect(await exchange.responseClosed).toEqual({ finished: false });
    });
    expect(log[0]).toBe("first chunk");
    expect(log[1]).toBeInstanceOf(CancelledError);
    expect(log[1]).toBe(reason);
  });

  it("rejects a body read after the task returned with TaskEndedError, and ends the request", async () => {
    const srv = await start(({ res }) => {
      res.writeHead(200);
      res.write("never read");
    });
    const limiter = new Limiter({ limit: 1 });
    const res = await nursery(async (n) => n.spawn((task) => fetch(task, srv.url("/kept"), { limiter }), { name: "leaky" }));
    // Released when the task returned: the slot is free and the connection closed (issue 16, 14).
    expect(limiter.active).toBe(0);
    const err: unknown = await res.text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskEndedError);
    expect(err).toMatchObject({ code: "ERR_TASK_ENDED", phase: "read", task: "leaky", method: "GET", url: srv.url("/kept") });
    expect((err as Error).message).toBe(
      `cannot read the body of GET ${srv.url("/kept")}: task "leaky" has ended; read the body inside the task`,
    );
    expect(isCancellation(err)).toBe(false);
    expect(limiter.active).toBe(0);
    await srv.exchanges[0]?.socketClosed;
  });

  it("combines an extra signal with one listener per request: its abort rejects with its reason", async () => {
    const srv = await start(() => {});
    const extra = new AbortController();
    const why = new Error("client went away");
    let outcome: unknown = PENDING;
    let base = -1;
    let during = -1;
    let taskSignal!: AbortSignal;
    await nursery(async (n) => {
      n.spawn(async (task) => {
        taskSignal = task.signal;
        base = listeners(task.signal);
        outcome = await fetch(task, srv.url(), { extraSignal: extra.signal }).catch((e: unknown) => e);
      });
      const exchange = await srv.nextRequest();
      during = listeners(taskSignal);
      expect(listeners(extra.signal)).toBe(1);
      extra.abort(why);
      await exchange.socketClosed;
    });
    expect(outcome).toBe(why);
    expect(during).toBe(base); // the task is listened to through core's onCancel, not its signal
    expect(listeners(taskSignal)).toBe(base);
    expect(listeners(extra.signal)).toBe(0);
  });

  it("adds exactly one listener per request to an owner's signal and keeps it until the body is done", async () => {
    const srv = await start(() => {});
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        const base = listeners(task.signal);
        const owner = { signal: task.signal };
        const pending = [fetch(owner, srv.url("/a")), fetch(owner, srv.url("/b")), fetch(owner, srv.url("/c"))];
        await srv.when(() => srv.count === 3);
        expect(listeners(task.signal)).toBe(base + 3);
        for (const { res } of srv.exchanges) {
          res.writeHead(200);
          res.write("x");
        }
        const responses = await Promise.all(pending);
        expect(listeners(task.signal)).toBe(base + 3); // headers are in, bodies are not
        for (const { res } of srv.exchanges) res.end("y");
        expect(await Promise.all(responses.map((r) => r.text()))).toEqual(["xy", "xy", "xy"]);
        expect(listeners(task.signal)).toBe(base);
      });
    });
  });

  it("brings the listener count on one task's signal back to its baseline after 10 000 requests", async () => {
    const srv = await start(({ res }) => res.end("ok"));
    const extra = new AbortController();
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        const base = listeners(task.signal);
        const batch = 50;
        // 50 requests in flight on one signal are 50 listeners, past Node's advisory limit of 10.
        setMaxListeners(batch, task.signal, extra.signal);
        // The task's signal itself as the owner (a core task would be listened to without it).
        const owner = { signal: task.signal };
        for (let i = 0; i < 10_000; i += batch) {
          await Promise.all(
            Array.from({ length: batch }, async () => {
              const res = await fetch(owner, srv.url(), { extraSignal: extra.signal, deadline: 60_000 });
              return res.text();
            }),
          );
        }
        expect(listeners(task.signal)).toBe(base);
      });
    });
    expect(srv.count).toBe(10_000);
    expect(listeners(extra.signal)).toBe(0);
    // A bound against a hang, not a speed check: 10 000 loopback requests took past 120 s on a
    // 2-core machine at a load average of 12.
  }, 600_000);
});

describe("fetch timeouts", () => {
  it("rejects with TimeoutError when the headers do not arrive within `timeout`, and aborts the request", async () => {
    const srv = await start(() => {});
    const clock = new VirtualClock();
    let outcome: unknown = PENDING;
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          outcome = await fetch(task, srv.url("/slow"), { timeout: 1_000 }).catch((e: unknown) => e);
        });
        const exchange = await srv.nextRequest();
        await clock.advance(999);
        expect(outcome).toBe(PENDING);
        await clock.advance(1);
        await exchange.socketClosed;
      },
      { clock },
    );
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect(outcome).toMatchObject({ code: "ERR_TIMEOUT", timeout: 1_000 });
    expect((outcome as Error).message).toContain(`fetch GET ${srv.url("/slow")} (attempt 1)`);
    expect(isCancellation(outcome)).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it("reports the task's cancellation, not a timeout, when the task is cancelled before `timeout` passes", async () => {
    const srv = await start(() => {});
    const clock = new VirtualClock();
    let outcome: unknown = PENDING;
    let reason: unknown;
    await nursery(
      async (n) => {
        const t = n.spawn(async (task) => {
          outcome = await fetch(task, srv.url(), { timeout: 1_000, deadline: 2_000 }).catch((e: unknown) => e);
          reason = task.signal.reason;
        });
        const exchange = await srv.nextRequest();
        await clock.advance(500);
        t.cancel();
        await exchange.socketClosed;
        expect(clock.pending).toBe(0); // the timeout and deadline timers were cleared
        await clock.advance(5_000);
      },
      { clock },
    );
    expect(outcome).toBeInstanceOf(CancelledError);
    expect(outcome).toBe(reason);
  });

  it("reports a nursery's deadline as the task's cancellation, not as the request's TimeoutError", async () => {
    const srv = await start(() => {});
    const clock = new VirtualClock();
    let outcome: unknown = PENDING;
    const done = nursery(
      async (n) => {
        n.spawn(async (task) => {
          outcome = await fetch(task, srv.url(), { timeout: 1_000 }).catch((e: unknown) => e);
        });
      },
      { clock, timeout: 500 },
    ).catch((e: unknown) => e);
    const exchange = await srv.nextRequest();
    await clock.advance(500);
    const err = await done;
    expect(err).toBeInstanceOf(TimeoutError); // the nursery's own verdict
    expect((err as TimeoutError).timeout).toBe(500);
    expect(outcome).toBeInstanceOf(CancelledError); // what the request saw
    expect((outcome as CancelledError).reason.source).toBe("deadline");
    await exchange.socketClosed;
  });

  it("applies `deadline` to the body as well: a stalled body read rejects with TimeoutError", async () => {
    const srv = await start(({ res }) => {
      res.writeHead(200);
      res.write("start");
    });
    const clock = new VirtualClock();
    const log: unknown[] = [];
    await nursery(
      async (n) => {
        let started!: () => void;
        const first = new Promise<void>((resolve) => (started = resolve));
        n.spawn(async (task) => {
          const res = await fetch(task, srv.url(), { deadline: 1_000 });
          const reader = res.body!.getReader();
          log.push(new TextDecoder().decode((await reader.read()).value));
          started();
          log.push(await reader.read().catch((e: unknown) => e));
        });
        const exchange = await srv.nextRequest();
        await first;
        await clock.advance(1_000);
        await exchange.socketClosed;
      },
      { clock },
    );
    expect(log[0]).toBe("start");
    expect(log[1]).toBeInstanceOf(TimeoutError);
    expect(log[1]).toMatchObject({ timeout: 1_000, scope: `fetch GET ${srv.url()}` });
    expect(clock.pending).toBe(0);
  });

  it("clears its timers once the request is done, so nothing is left on the clock", async () => {
    const srv = await start(({ res }) => res.end("quick"));
    const clock = new VirtualClock();
    await nursery(
      async (n) => {
        await n.spawn(async (task) => {
          const res = await fetch(task, srv.url(), { timeout: 1_000, deadline: 5_000 });
          expect(clock.pending).toBe(1); // the deadline still guards the unread body
          expect(await res.text()).toBe("quick");
          expect(clock.pending).toBe(0);
        });
      },
      { clock },
    );
  });
});
