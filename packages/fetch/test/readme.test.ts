// The README's examples, run against a loopback server. Keep them in step with README.md.
import { afterEach, describe, expect, it } from "@jest/globals";
import { isCancellation, nursery, TimeoutError } from "@nursery/core";
import { VirtualClock } from "@nursery/core/testing";
import { fetch, HttpError, Limiter } from "@nursery/fetch";
import { TestServer, until } from "./support/server.js";

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("README", () => {
  it("runs the crawler: pages fetched through a shared per-host limiter", async () => {
    const srv = (server = await TestServer.start(({ req, res }) => res.end(`page ${req.url}`)));
    const urls = Array.from({ length: 20 }, (_, i) => srv.url(`/${i}`));

    const limiter = new Limiter({ limit: 8, perHost: true }); // shared by every task below

    const pages = new Map<string, string>();
    await nursery(async (n) => {
      for (const url of urls) {
        n.spawn(async (task) => {
          const res = await fetch(task, url, {
            limiter,
            timeout: 10_000,
            deadline: 60_000,
            retry: 3,
            throwHttpErrors: true,
          });
          pages.set(url, await res.text());
        });
      }
    });

    expect(pages.size).toBe(20);
    expect(pages.get(srv.url("/7"))).toBe("page /7");
    expect(srv.maxActive).toBeLessThanOrEqual(8);
  });

  it("runs the HttpError example: a 404 becomes undefined", async () => {
    const srv = (server = await TestServer.start(({ res }) => {
      res.statusCode = 404;
      res.end();
    }));
    const url = srv.url("/gone");
    const page = await nursery(async (n) =>
      n.spawn(async (task) => {
        try {
          await fetch(task, url, { throwHttpErrors: true });
        } catch (err) {
          if (err instanceof HttpError && err.status === 404) return undefined;
          throw err;
        }
        return "found";
      }),
    );
    expect(page).toBeUndefined();
  });

  it("runs the timeout example: the catch sees a TimeoutError", async () => {
    const srv = (server = await TestServer.start(() => {}));
    const url = srv.url();
    const clock = new VirtualClock({ autojump: { threshold: 20 } });
    const warnings: string[] = [];
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          try {
            await fetch(task, url, { timeout: 5_000, deadline: 30_000 });
          } catch (err) {
            if (err instanceof TimeoutError) warnings.push(err.message);
            else if (!isCancellation(err)) throw err;
          }
        });
      },
      { clock },
    );
    expect(warnings).toEqual([`"fetch GET ${url} (attempt 1)" timed out after 5000 ms`]);
  });

  it("runs the testing example: a Retry-After of 2 s passes on the virtual clock", async () => {
    const srv = (server = await TestServer.start(({ res, index }) => {
      if (index === 1) {
        res.writeHead(503, { "retry-after": "2" });
        res.end();
      } else res.end("ok");
    }));
    const url = srv.url();
    const clock = new VirtualClock();
    let text = "";
    await nursery(
      async (n) => {
        n.spawn(async (task) => {
          text = await (await fetch(task, url, { retry: 3 })).text();
        });
        await until(() => clock.pending === 1);
        await clock.advance(2_000);
      },
      { clock },
    );
    expect(text).toBe("ok");
  });

  it("runs the download example: cancelling the task ends the body loop with its CancelledError", async () => {
    const srv = (server = await TestServer.start(({ res }) => {
      res.writeHead(200);
      res.write("chunk");
    }));
    const url = srv.url();
    const saved: number[] = [];
    let ended: unknown;
    await nursery(async (n) => {
      const download = n.spawn(async (task) => {
        const res = await fetch(task, url);
        try {
          for await (const chunk of res.body!) saved.push(chunk.byteLength);
        } catch (err) {
          ended = err;
          throw err;
        }
      });
      await until(() => saved.length === 1);
      download.cancel();
    });
    expect(saved).toEqual([5]);
    expect(isCancellation(ended)).toBe(true);
  });
});
