import { afterEach, describe, expect, it } from "@jest/globals";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { nursery } from "@nursery/core";
import { fetch, Limiter } from "@nursery/fetch";
import { listeners, TestServer } from "./support/server.js";

// The safety net for bodies nobody reads: exercised with a real garbage collection.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Collects garbage and lets finalizers run (they run as a separate macrotask after a collection). */
async function collect(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

describe("fetch and garbage collection", () => {
  it("still aborts the connection when the task is cancelled after a collection mid-body", async () => {
    // undici's Request follows our signal through a weakly held controller: if the Request were
    // collected, the cancellation would no longer reach the socket and the read would hang.
    const srv = (server = await TestServer.start(({ res }) => {
      res.writeHead(200);
      res.write("first");
    }));
    let outcome: unknown;
    let reason: unknown;
    await nursery(async (n) => {
      const t = n.spawn(async (task) => {
        const reader = (await fetch(task, srv.url())).body!.getReader();
        await reader.read();
        await collect();
        setImmediate(() => t.cancel());
        outcome = await reader.read().catch((e: unknown) => e);
        reason = task.signal.reason;
      });
    });
    expect(outcome).toBe(reason);
    await srv.exchanges[0]!.socketClosed;
  });

  it("releases the slot, the listener and the connection of a response dropped unread once it is collected", async () => {
    const srv = (server = await TestServer.start(({ res }) => {
      res.writeHead(200);
      res.write("never read");
    }));
    const limiter = new Limiter({ limit: 1 });
    await nursery(async (n) => {
      await n.spawn(async (task) => {
        const owner = { signal: task.signal }; // a signal owner, so its listener can be counted
        await (async () => {
          await fetch(owner, srv.url(), { limiter }); // the Response is dropped here, body unread
        })();
        expect(limiter.active).toBe(1);
        expect(listeners(task.signal)).toBe(1);
        // FinalizationRegistry callbacks run as a separate macrotask after a collection.
        for (let turn = 0; turn < 100 && limiter.active > 0; turn++) {
          gc();
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        expect(limiter.active).toBe(0);
        expect(listeners(task.signal)).toBe(0);
      });
    });
    await srv.exchanges[0]!.socketClosed;
  });
});
