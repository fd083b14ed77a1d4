import { describe, expect, it } from "@jest/globals";
import http from "node:http";
import net from "node:net";
import { onCancel } from "@nursery/core";
import { dumpTree } from "@nursery/core/debug";
import { VirtualClock } from "@nursery/core/testing";
import { arrivals, deferred, get, startServing, type Reply } from "./support/harness.js";

/** Sends raw bytes on one socket and collects everything the server sends back until it closes. */
function rawSocket(url: string): { socket: net.Socket; received: Promise<string>; connected: Promise<void> } {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), "127.0.0.1");
  let data = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (data += chunk));
  const received = new Promise<string>((resolve) => socket.on("close", () => resolve(data)));
  socket.on("error", () => undefined);
  const connected = new Promise<void>((resolve) => socket.on("connect", resolve));
  return { socket, received, connected };
}

describe("serve shutdown", () => {
  it("lets requests in flight finish inside the grace, telling their clients Connection: close", async () => {
    const inside = arrivals(3);
    const release = deferred();
    const served = await startServing({
      handler: async (req, res) => {
        inside.arrive();
        await release.promise;
        res.end(`done ${req.url}`);
      },
    });
    const replies = Promise.all([1, 2, 3].map((i) => get(`${served.url}/${i}`)));
    await inside.all;
    served.shutdown();
    await served.reached("closing");
    expect(await get(`${served.url}/late`)).toEqual({ error: "ECONNREFUSED" }); // the listener is closed
    release.resolve();

    const got = (await replies) as Reply[];
    expect(got.map((r) => [r.status, r.body, r.headers.connection])).toEqual([
      [200, "done /1", "close"],
      [200, "done /2", "close"],
      [200, "done /3", "close"],
    ]);
    await served.done;
    expect(served.phases).toEqual([
      ["draining", 3],
      ["closing", 3],
    ]);
  });

  it("closes idle keep-alive sockets at once, so a keep-alive client's next request fails fast instead of hanging", async () => {
    const served = await startServing({ handler: (req, res) => res.end("ok") });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = deferred<net.Socket>();
      const req = http.get(`${served.url}/`, { agent }, (res) => {
        first.resolve(res.socket);
        res.resume();
      });
      req.end();
      const socket = await first.promise;
      const socketClosed = new Promise((resolve) => socket.on("close", resolve));
      served.shutdown();
      await socketClosed; // the idle keep-alive socket was closed by the server
      await served.done;
      expect(await get(`${served.url}/again`, { agent })).toEqual({ error: "ECONNREFUSED" });
    } finally {
      agent.destroy();
    }
  });

  it("tells a busy keep-alive socket Connection: close when its response has not started", async () => {
    const inside = deferred();
    const release = deferred();
    const served = await startServing({
      handler: async (req, res) => {
        inside.resolve();
        await release.promise;
        res.end("first");
      },
    });
    const raw = rawSocket(served.url);
    await raw.connected;
    raw.socket.write("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
    await inside.promise;
    served.shutdown();
    await served.reached("closing");
    release.resolve();
    const text = await raw.received; // the server closes the socket after the response
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(text).toMatch(/first$/);
    await served.done;
  });

  it("answers a request that arrives on a keep-alive socket after the close with 503 and Connection: close", async () => {
    const release = deferred();
    const served = await startServing({
      handler: async (req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("streaming:"); // headers sent before shutdown: this response stays keep-alive
        await release.promise;
        res.end("first");
      },
    });
    const secondArrived = deferred();
    served.server.on("request", (req: http.IncomingMessage) => {
      if (req.url === "/second") secondArrived.resolve();
    });
    const raw = rawSocket(served.url);
    await raw.connected;
    const firstStarted = new Promise((resolve) => raw.socket.once("data", resolve));
    raw.socket.write("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
    await firstStarted;
    served.shutdown();
    await served.reached("closing");
    raw.socket.write("GET /second HTTP/1.1\r\nHost: x\r\n\r\n"); // pipelined behind the busy first one
    await secondArrived.promise;
    release.resolve();
    const responses = (await raw.received).split(/(?=HTTP\/1\.1 )/);
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*streaming:[\s\S]*first/);
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(responses[1]).toMatch(/\r\nconnection: close\r\n/i);
    expect(responses[1]).toMatch(/shutting down\n$/);
    await served.done;
  });

  it("closes a keep-alive socket as soon as the response it carried at the close has ended", async () => {
    const release = deferred();
    const served = await startServing({
      handler: async (req, res) => {
        res.write("streaming:"); // headers sent before shutdown: Node would keep the socket open
        await release.promise;
        res.end("done");
      },
    });
    const raw = rawSocket(served.url);
    await raw.connected;
    const started = new Promise((resolve) => raw.socket.once("data", resolve));
    raw.socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await started;
    served.shutdown();
    await served.reached("closing");
    release.resolve();
    expect(await raw.received).toMatch(/streaming:[\s\S]*done[\s\S]*$/); // resolves when the server closed it
    expect(served.phases.map(([p]) => p)).toEqual(["draining", "closing"]); // before the budget ended
    await served.done;
  });

  it("does not cut a large response that has ended but is still being written when the listener closes", async () => {
    const size = 32 * 1024 * 1024; // more than the loopback socket buffers hold
    const ended = deferred();
    const served = await startServing({
      handler: (req, res) => {
        res.end(Buffer.alloc(size, 97));
        ended.resolve();
      },
    });
    const received = deferred<number | string>();
    const response = deferred<http.IncomingMessage>();
    const req = http.get(`${served.url}/big`, (res) => {
      res.pause(); // a slow client: reads nothing until the server closed its listener
      response.resolve(res);
    });
    req.on("error", (err: NodeJS.ErrnoException) => received.resolve(err.code ?? "error"));
    const res = await response.promise;
    await ended.promise;
    served.shutdown();
    await served.reached("closing");
    let bytes = 0;
    res.on("data", (chunk: Buffer) => (bytes += chunk.length));
    res.on("end", () => received.resolve(bytes));
    res.on("error", (err: NodeJS.ErrnoException) => received.resolve(err.code ?? "error"));
    res.resume();
    expect(await received.promise).toBe(size);
    await served.done;
  });

  it("cancels the requests still in flight when the grace ends, newest first, and answers them 503", async () => {
    const clock = new VirtualClock();
    const inside = arrivals(3);
    const cancelled: string[] = [];
    const served = await startServing(
      {
        grace: 5000,
        handler: async (req, res, task) => {
          inside.arrive();
          await new Promise<void>((resolve, reject) => onCancel(task, (reason) => {
            cancelled.push(task.name);
            reject(reason);
          }));
        },
      },
      { clock },
    );
    const replies: Array<Promise<unknown>> = [];
    for (const i of [1, 2, 3]) {
      const seen = inside.seen;
      replies.push(get(`${served.url}/${i}`));
      while (inside.seen === seen) await new Promise((resolve) => setImmediate(resolve)); // in order of arrival
    }
    served.shutdown();
    await served.reached("closing");
    expect(cancelled).toEqual([]); // the grace has not passed
    await clock.advance(5000);
    const got = (await Promise.all(replies)) as Reply[];
    expect(got.map((r) => [r.status, r.headers.connection])).toEqual([
      [503, "close"],
      [503, "close"],
      [503, "close"],
    ]);
    expect(cancelled).toEqual(["GET /3", "GET /2", "GET /1"]);
    await served.done;
    expect(served.phases.map(([p]) => p)).toEqual(["draining", "closing", "cancelling"]);
  });

  it("fails readiness at once while liveness and requests go on during drainDelay, then closes", async () => {
    const clock = new VirtualClock();
    const served = await startServing(
      { readiness: "/readyz", liveness: "/livez", drainDelay: 10_000, handler: (req, res) => res.end("work") },
      { clock },
    );
    const status = async (path: string): Promise<[number, string]> => {
      const r = (await get(`${served.url}${path}`)) as Reply;
      return [r.status, r.body];
    };
    expect(await status("/readyz")).toEqual([200, "ready\n"]);
    served.shutdown();
    await served.reached("draining");
    expect(await status("/readyz")).toEqual([503, "shutting down\n"]);
    expect(await status("/livez?probe=1")).toEqual([200, "live\n"]);
    expect(await status("/work")).toEqual([200, "work"]);
    expect(served.phases).toEqual([["draining", 0]]);
    await clock.advance(10_000);
    await served.reached("closing");
    expect(await get(`${served.url}/readyz`)).toEqual({ error: "ECONNREFUSED" });
    await served.done;
  });

  it("destroys the sockets left when the budget ends; a request that ignores its cancellation stays in the tree by name", async () => {
    const clock = new VirtualClock();
    const inside = deferred();
    const release = deferred();
    const served = await startServing(
      {
        grace: 1000,
        cleanupTimeout: 500,
        handler: async (req, res) => {
          inside.resolve();
          await release.promise; // ignores its cancellation
          res.end("too late");
        },
      },
      { clock },
    );
    const reply = get(`${served.url}/stuck`);
    await inside.promise;
    served.shutdown();
    await served.reached("closing");
    await clock.advance(1000);
    await served.reached("cancelling");
    expect(served.phases.at(-1)).toEqual(["cancelling", 1]);
    await clock.advance(500);
    expect(await reply).toEqual({ error: "ECONNRESET" });
    expect(served.phases.at(-1)).toEqual(["destroying", 1]);
    expect(dumpTree(served.nursery)).toMatch(/requests \(nursery, cancelling\)\n.*└─ GET \/stuck \[cancelling, 1\.5 s\]/);
    release.resolve();
    await served.done;
  });

  it("waits for the response, not the handler's promise, so a reply sent in a later continuation is not cut", async () => {
    // The Express shape: the listener returns at once; the reply is sent after an await.
    const work = deferred();
    const inside = deferred();
    const server = http.createServer((req, res) => {
      inside.resolve();
      void work.promise.then(() => setImmediate(() => res.end("sent later")));
    });
    const served = await startServing({}, { server, clock: new VirtualClock() }); // the budget never ends here
    const reply = get(`${served.url}/later`);
    await inside.promise;
    served.shutdown();
    await served.reached("closing");
    work.resolve(); // the handler's continuation runs only now, after the shutdown steps began
    const r = (await reply) as Reply;
    expect([r.status, r.body]).toEqual([200, "sent later"]);
    await served.done;
  });
});
