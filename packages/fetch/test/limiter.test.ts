import { afterEach, describe, expect, it } from "@jest/globals";
import { CancelledError, nursery, type Task } from "@nursery/core";
import { fetch, Limiter, type LimiterSlot } from "@nursery/fetch";
import { listeners, TestServer, type Exchange } from "./support/server.js";

let servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A server that sends headers at once and holds the body until the test ends the response. */
async function holdingServer(): Promise<TestServer> {
  const server = await TestServer.start(({ res }) => {
    res.writeHead(200);
    res.flushHeaders();
  });
  servers.push(server);
  return server;
}

const open = (server: TestServer): Exchange[] => server.exchanges.filter((e) => !e.res.writableEnded);

describe("Limiter with fetch", () => {
  it("never lets more requests reach the server at once than its limit, counting until each body is done", async () => {
    const srv = await holdingServer();
    const limiter = new Limiter({ limit: 3 });
    const total = 12;
    const texts: string[] = [];
    await nursery(async (n) => {
      // Each request is spawned in its own task: the limiter is shared across tasks.
      for (let i = 0; i < total; i++) {
        n.spawn(async (task) => {
          const res = await fetch(task, srv.url(`/${i}`), { limiter });
          texts.push(await res.text());
        });
      }
      for (let ended = 0; ended < total; ended++) {
        const expected = Math.min(3, total - ended);
        // Each ended body frees a slot, which lets exactly one more request through.
        await srv.when(() => srv.count === ended + expected && srv.active === expected);
        expect(limiter.active).toBeLessThanOrEqual(3);
        expect(limiter.waiting).toBe(total - srv.count);
        open(srv)[0]!.res.end(`body ${ended}`);
      }
    });
    expect(srv.maxActive).toBe(3); // reached, never exceeded
    expect(srv.count).toBe(total);
    expect(texts).toHaveLength(total);
    expect(limiter.active).toBe(0);
  });

  it("is shared across hosts unless `perHost` is set, and then counts each host separately", async () => {
    const a = await holdingServer();
    const b = await holdingServer();
    const shared = new Limiter({ limit: 1 });
    const perHost = new Limiter({ limit: 1, perHost: true });
    await nursery(async (n) => {
      const tasks: Task<unknown>[] = [];
      for (const srv of [a, b]) tasks.push(n.spawn(async (task) => (await fetch(task, srv.url(), { limiter: shared })).text()));
      await a.when(() => a.count === 1);
      expect(shared.waiting).toBe(1); // b waits behind a
      expect(b.count).toBe(0);
      for (const srv of [a, b]) tasks.push(n.spawn(async (task) => (await fetch(task, srv.url("/p"), { limiter: perHost })).text()));
      await b.when(() => b.count === 1); // b's per-host slot is its own
      expect(perHost.active).toBe(2);
      a.exchanges[0]!.res.end();
      await b.when(() => b.count === 2); // a's shared slot went to b's waiting request
      for (const srv of [a, b]) for (const e of open(srv)) e.res.end();
      await Promise.all(tasks);
    });
    expect(shared.active + perHost.active + shared.waiting + perHost.waiting).toBe(0);
  });

  it("frees the slot of a cancelled request and drops a cancelled waiter from the queue", async () => {
    const srv = await holdingServer();
    const limiter = new Limiter({ limit: 1 });
    const outcomes = new Map<string, unknown>();
    let waiterSignal!: AbortSignal;
    await nursery(async (n) => {
      const holder = n.spawn(async (task) => {
        outcomes.set("holder", await fetch(task, srv.url("/holder"), { limiter }).then((r) => r.text()).catch((e: unknown) => e));
      });
      const first = await srv.nextRequest();
      const waiter = n.spawn(async (task) => {
        waiterSignal = task.signal;
        outcomes.set("waiter", await fetch(task, srv.url("/waiter"), { limiter }).catch((e: unknown) => e));
      });
      expect(limiter.waiting).toBe(1);
      waiter.cancel();
      await waiter;
      expect(limiter.waiting).toBe(0); // no queue entry left behind
      expect(limiter.active).toBe(1);
      holder.cancel();
      await first.socketClosed;
      await holder;
      expect(limiter.active).toBe(0);
      // The freed slot is usable at once.
      const text = await n.spawn(async (task) => {
        const res = fetch(task, srv.url("/after"), { limiter });
        (await srv.nextRequest()).res.end("after");
        return (await res).text();
      });
      expect(text).toBe("after");
    });
    expect(outcomes.get("waiter")).toBeInstanceOf(CancelledError);
    expect(outcomes.get("holder")).toBeInstanceOf(CancelledError);
    expect(listeners(waiterSignal)).toBe(0);
    expect(srv.exchanges.map((e) => e.req.url)).toEqual(["/holder", "/after"]); // the cancelled waiter sent nothing
  });

  it("frees the slot when the body is cancelled by the reader", async () => {
    const srv = await holdingServer();
    const limiter = new Limiter({ limit: 1 });
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        const res = await fetch(task, srv.url(), { limiter });
        expect(limiter.active).toBe(1);
        await res.body!.cancel();
        expect(limiter.active).toBe(0);
      });
    });
    await srv.exchanges[0]!.socketClosed;
  });
});

describe("Limiter", () => {
  it("hands released slots to waiters in the order they asked", async () => {
    const limiter = new Limiter({ limit: 1 });
    const first = await limiter.acquire();
    const order: string[] = [];
    const b = limiter.acquire().then((slot) => (order.push("b"), slot));
    const c = limiter.acquire().then((slot) => (order.push("c"), slot));
    expect(limiter.waiting).toBe(2);
    first.release();
    first.release(); // idempotent: does not free a second slot
    (await b).release();
    (await c).release();
    expect(order).toEqual(["b", "c"]);
    expect(limiter.active).toBe(0);
  });

  it("releases a slot at the end of a `using` block", async () => {
    const limiter = new Limiter({ limit: 2 });
    {
      const slot: LimiterSlot = await limiter.acquire();
      expect(limiter.active).toBe(1);
      slot[Symbol.dispose]();
    }
    expect(limiter.active).toBe(0);
  });

  it("rejects at once with the reason when the signal is already aborted, taking no slot", async () => {
    const limiter = new Limiter({ limit: 1 });
    const reason = new Error("no");
    await expect(limiter.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(limiter.active).toBe(0);
  });

  it("removes a cancelled waiter and its listener, and the slot goes to the next waiter", async () => {
    const limiter = new Limiter({ limit: 1 });
    const held = await limiter.acquire();
    const controller = new AbortController();
    const cancelled = limiter.acquire({ signal: controller.signal });
    const next = limiter.acquire();
    expect(listeners(controller.signal)).toBe(1);
    const reason = new Error("stop waiting");
    controller.abort(reason);
    await expect(cancelled).rejects.toBe(reason);
    expect(listeners(controller.signal)).toBe(0);
    expect(limiter.waiting).toBe(1);
    held.release();
    (await next).release();
    expect(limiter.active).toBe(0);
  });

  it("removes the listener of a waiter that got its slot", async () => {
    const limiter = new Limiter({ limit: 1 });
    const held = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire({ signal: controller.signal });
    held.release();
    (await waiting).release();
    expect(listeners(controller.signal)).toBe(0);
  });

  it("rejects bad limits with a TypeError naming the option", () => {
    for (const limit of [0, -1, 1.5, NaN, "3"]) {
      expect(() => new Limiter({ limit: limit as number })).toThrow(TypeError);
    }
    expect(() => new Limiter({ limit: 0 })).toThrow("Expected `limit` to be an integer >= 1 or Infinity, got `0` (number)");
    expect(new Limiter({ limit: Infinity }).limit).toBe(Infinity);
  });

  it("requires a host on a perHost limiter", async () => {
    const limiter = new Limiter({ limit: 1, perHost: true });
    await expect(limiter.acquire()).rejects.toThrow("Expected `host` to be a string (this limiter counts per host), got `undefined` (undefined)");
    const slot = await limiter.acquire({ host: "example.com" });
    expect(limiter.active).toBe(1);
    slot.release();
  });
});

