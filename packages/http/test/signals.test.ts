import { describe, expect, it } from "@jest/globals";
import http from "node:http";
import { spawnFixture } from "@nursery/core/testing";
import { get, type Outcome, type Reply } from "./support/harness.js";

const FIXTURE = require.resolve("./fixtures/server.mjs");

describe("serve under run()", () => {
  it("answers all of 200 slow requests in flight at SIGTERM with 200, then exits 143", async () => {
    const app = spawnFixture(FIXTURE, { args: ["drain", "200"] });
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    try {
      let url = "";
      const ready = app.waitForLine(/^ready /).then((line) => (url = line.slice("ready ".length)));
      // The port is printed with "ready", after the requests arrived: wait for the server to listen first.
      const replies: Array<Promise<Outcome>> = [];
      const port = await portOf(app);
      for (let i = 0; i < 200; i++) replies.push(get(`http://127.0.0.1:${port}/slow/${i}`, { agent }));
      await ready;
      app.signal("SIGTERM");
      const got = await Promise.all(replies);
      const exit = await app.exited;

      expect(url).toBe(`http://127.0.0.1:${port}`);
      expect(got.filter((r) => "error" in r)).toEqual([]); // 0 resets
      expect(new Set(got.map((r) => `${(r as Reply).status} ${(r as Reply).body}`))).toEqual(new Set(["200 done\n"]));
      expect(got.every((r) => (r as Reply).headers.connection === "close")).toBe(true);
      expect(exit.code).toBe(143);
      expect(exit.stdout.split("\n").filter((l) => l.startsWith("http:"))).toEqual([
        "http: draining (200 in flight)",
        "http: closing (200 in flight)",
        "http: stopped",
      ]);
      expect(exit.stderr).toBe("received SIGTERM, shutting down (send SIGTERM again to force)\n");
    } finally {
      agent.destroy();
      app.kill();
    }
  });

  it("cuts a request that ignores its cancellation when the budget ends, and names it in the shutdown-timeout report", async () => {
    const app = spawnFixture(FIXTURE, { args: ["stuck", "1"] });
    try {
      const port = await portOf(app);
      const reply = get(`http://127.0.0.1:${port}/stuck?id=7`);
      await app.waitForLine(/^ready /);
      app.signal("SIGTERM");
      const outcome = await reply;
      const exit = await app.exited;

      expect(outcome).toEqual({ error: "ECONNRESET" });
      expect(exit.code).toBe(1);
      expect(exit.stdout.split("\n").filter((l) => l.startsWith("http:"))).toEqual([
        "http: draining (1 in flight)",
        "http: closing (1 in flight)",
        "http: cancelling (1 in flight)",
        "http: destroying (1 in flight)",
      ]);
      // The report comes from the task tree: the request's task, by method and URL, with its age.
      expect(exit.stderr).toMatch(/requests \(nursery, cancelling\)\n.*└─ GET \/stuck\?id=7 \[cancelling, \d/);
    } finally {
      app.kill();
    }
  });

  it("regression: names where the handler is defined, not the package, as the stuck request's site in the shutdown-timeout report", async () => {
    const app = spawnFixture(FIXTURE, { args: ["stuck", "1"] });
    try {
      const port = await portOf(app);
      const reply = get(`http://127.0.0.1:${port}/stuck`);
      await app.waitForLine(/^ready /);
      app.signal("SIGTERM");
      await reply;
      const exit = await app.exited;
      const line = exit.stderr.split("\n").find((l) => l.includes("GET /stuck ["));
      // The handler is the one in fixtures/server.mjs (its `handler:` option), not served-server.js.
      expect(line).toMatch(/ at file:\/\/\S*\/test\/fixtures\/server\.mjs:\d+:\d+$/);
    } finally {
      app.kill();
    }
  });
});

/** The fixture prints its port in the "listening" line. */
async function portOf(app: ReturnType<typeof spawnFixture>): Promise<number> {
  const line = await app.waitForLine(/^listening /);
  return Number(line.slice(line.lastIndexOf(":") + 1));
}
