// Requests pipelined on one socket during a shutdown (RFC 9112, 9.3.2 and 9.6): every request whose
// handler ran is answered; one that arrives behind a response saying `Connection: close` is never
// handed to the handler (the client must treat it as not processed, and may retry it).
import { describe, expect, it } from "@jest/globals";
import type http from "node:http";
import net from "node:net";
import { VirtualClock } from "@nursery/core/testing";
import { deferred, startServing } from "./support/harness.js";

/** One raw socket on 127.0.0.1; `received` resolves with everything the server sent once it closed the socket. */
async function rawSocket(url: string): Promise<{ socket: net.Socket; received: Promise<string> }> {
  const socket = net.connect(Number(new URL(url).port), "127.0.0.1");
  let data = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (data += chunk));
  socket.on("error", () => undefined);
  const received = new Promise<string>((resolve) => socket.on("close", () => resolve(data)));
  await new Promise<void>((resolve) => socket.on("connect", resolve));
  return { socket, received };
}

/** The responses in `text`, as [status line, connection header, body]. */
function responses(text: string): Array<[string, string | undefined, string]> {
  return text.split(/(?=HTTP\/1\.1 \d{3} )/).map((response) => {
    const [head, body] = response.split("\r\n\r\n", 2) as [string, string | undefined];
    const connection = /\r\nconnection: ([^\r]*)/i.exec(head)?.[1]?.toLowerCase();
    return [head.split("\r\n")[0] ?? "", connection, body ?? ""];
  });
}

describe("serve shutdown, pipelined requests", () => {
  it("regression: answers a request pipelined during drainDelay whose handler ran, instead of closing the socket after the one before it", async () => {
    const clock = new VirtualClock();
    const ran: string[] = [];
    const release = deferred();
    const inside = { "/a": deferred(), "/b": deferred() };
    const served = await startServing(
      {
        drainDelay: 1000,
        handler: async (req, res) => {
          ran.push(req.url ?? "");
          inside[req.url as "/a" | "/b"].resolve();
          await release.promise;
          res.end(`done ${req.url}`);
        },
      },
      { clock },
    );
    const raw = await rawSocket(served.url);
    try {
      raw.socket.write("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
      await inside["/a"].promise;
      served.shutdown();
      await served.reached("draining");
      raw.socket.write("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"); // pipelined while /a is in flight
      await inside["/b"].promise; // requests are still served during drainDelay: /b's handler runs
      await clock.advance(1000);
      await served.reached("closing");
      release.resolve();
      expect(responses(await raw.received)).toEqual([
        ["HTTP/1.1 200 OK", "keep-alive", "done /a"],
        ["HTTP/1.1 200 OK", "close", "done /b"], // the last response on the socket says close
      ]);
      expect(ran).toEqual(["/a", "/b"]);
      await served.done;
      expect(served.phases.map(([phase]) => phase)).toEqual(["draining", "closing"]); // nothing was left to cancel
    } finally {
      raw.socket.destroy();
    }
  });

  it("does not start a request pipelined behind a response that says Connection: close, and closes the socket after that response", async () => {
    const ran: string[] = [];
    const release = deferred();
    const inside = deferred();
    const served = await startServing({
      handler: async (req, res) => {
        ran.push(req.url ?? "");
        inside.resolve();
        await release.promise;
        res.end(`done ${req.url}`);
      },
    });
    const secondRead = deferred();
    served.server.on("request", (req: http.IncomingMessage) => {
      if (req.url === "/b") secondRead.resolve();
    });
    const raw = await rawSocket(served.url);
    try {
      raw.socket.write("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
      await inside.promise;
      served.shutdown();
      await served.reached("closing"); // /a has sent nothing yet: it will answer with Connection: close
      raw.socket.write("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
      await secondRead.promise;
      release.resolve();
      expect(responses(await raw.received)).toEqual([["HTTP/1.1 200 OK", "close", "done /a"]]);
      expect(ran).toEqual(["/a"]); // /b was not processed: a client may retry it on a new connection
      await served.done;
    } finally {
      raw.socket.destroy();
    }
  });
});
