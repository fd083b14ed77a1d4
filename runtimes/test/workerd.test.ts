// Cloudflare's workerd (the `workerd` npm package's binary, driven by miniflare): a worker bundled
// from the platform-neutral entries handles requests with a nursery, fetching from a loopback
// upstream. No `nodejs_compat` flag, so no node: module is available to it.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Miniflare } from "miniflare";
import { LoopbackServer, bundle, hangingRoute } from "./support.js";

// The workerd release the lockfile's miniflare ships with accepts compatibility dates up to its own.
const COMPATIBILITY_DATE = "2026-04-01";

describe("nursery in workerd", () => {
  let upstream: LoopbackServer;
  let worker: Miniflare | undefined;
  const slowArrived = new Set<string>();
  let releaseFail: () => void = () => undefined;
  const allSlowArrived = new Promise<void>((resolve) => (releaseFail = resolve));

  beforeAll(async () => {
    const slow = (req: IncomingMessage, res: ServerResponse, log: (line: string) => void): void => {
      hangingRoute(req, res, log);
      slowArrived.add(req.url ?? "");
      if (slowArrived.size === 3) releaseFail();
    };
    upstream = new LoopbackServer({
      "/slow/1": slow,
      "/slow/2": slow,
      "/slow/3": slow,
      // Fails only once every slow request is in flight, so the failure has something to cancel.
      "/fail": (_req, res, log) => {
        void allSlowArrived.then(() => {
          log("answering 503");
          res.writeHead(503, { "content-type": "text/plain" }).end("unavailable");
        });
      },
    });
    await upstream.listen();
    const script = await bundle("workerd/worker.mjs", "browser", ["workerd", "worker"]);
    const { Miniflare } = await import("miniflare");
    worker = new Miniflare({
      modules: true,
      script,
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { UPSTREAM: upstream.origin },
    });
    await worker.ready;
  }, 60_000);

  afterAll(async () => {
    await worker?.dispose();
    await upstream?.close();
  });

  it("passes every check of the neutral suite inside a worker", async () => {
    const response = await worker!.dispatchFetch("http://worker/suite");
    const { passed, failed, checkCount } = (await response.json()) as {
      passed: string[];
      failed: { name: string; error: string }[];
      checkCount: number;
    };
    expect(failed).toEqual([]);
    expect(passed).toHaveLength(checkCount);
  });

  it("cancels the other upstream fetches newest-first when one fails, and the upstream sees each socket close", async () => {
    const response = await worker!.dispatchFetch("http://worker/fan-out");
    const body = (await response.json()) as { log: string[]; outcome: string; errors: string[] };
    expect(response.status).toBe(502);
    expect(body.outcome).toBe("NurseryError");
    expect(body.errors).toEqual([expect.stringMatching(/^HttpError: .*503/)]);
    expect(body.log).toEqual([
      "slow 3 cancelled (sibling-failed)",
      "slow 2 cancelled (sibling-failed)",
      "slow 1 cancelled (sibling-failed)",
    ]);
    for (const i of [1, 2, 3]) await upstream.waitForLine(new RegExp(`^GET /slow/${i}: client closed the socket`));
  });
});
