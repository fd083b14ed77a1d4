// Runs every example program in a child process against the BUILT packages (run `npx tsc -b`
// first), the way a reader would: each one either finishes on its own or is stopped by the signal
// the test sends, and the test checks its exit code and what it printed. Synchronisation is on
// printed lines and on what the test's own servers observe, never on sleeps.
import { afterEach, describe, expect, it } from "@jest/globals";
import { once } from "node:events";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { spawnFixture, type Fixture } from "@nursery/core/testing";

const examples = join(__dirname, "..");
const running: Fixture[] = [];
const cleanups: (() => void | Promise<void>)[] = [];

function start(file: string, options: { args?: string[]; env?: Record<string, string>; cwd?: string } = {}): Fixture {
  const fixture = spawnFixture(join(examples, file), options);
  running.push(fixture);
  return fixture;
}

afterEach(async () => {
  for (const fixture of running.splice(0)) fixture.kill();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Lines of `text` that start with one of `prefixes`, in order. */
function linesStartingWith(text: string, ...prefixes: string[]): string[] {
  return text.split("\n").filter((line) => prefixes.some((p) => line.startsWith(p)));
}

/** A GET with the body read to the end. */
async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** Resolves with the response once it has been read to the end. */
function readResponse(res: IncomingMessage): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (body += chunk));
    res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    res.on("error", reject);
  });
}

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}

describe("examples/graceful-http-server", () => {
  const SERVER = "graceful-http-server/server.mjs";

  it("drains an upload in flight on SIGTERM, refusing new connections, and exits 143", async () => {
    const app = start(SERVER, { env: { PORT: "0" } });
    const url = /listening on (\S+)/.exec(await app.waitForLine("listening on"))?.[1] as string;
    expect(await get(`${url}/`)).toEqual({ status: 200, body: "hello\n" });

    const upload = request(`${url}/upload`, { method: "POST" });
    const response = once(upload, "response").then(([res]) => readResponse(res as IncomingMessage));
    upload.write("abc");
    await app.waitForLine("POST /upload: receiving");

    app.signal("SIGTERM");
    await app.waitForLine("http: stopped accepting, draining 1 request(s)");
    await expect(fetch(`${url}/`)).rejects.toThrow(); // the listening socket is closed
    upload.end("defg"); // the upload in flight still completes
    expect(await response).toEqual({ status: 200, body: "received 7 bytes\n" });

    const exit = await app.exited;
    expect(exit.code).toBe(143);
    // Newest first: the stats task (started last) stops before the server starts draining.
    expect(linesStartingWith(exit.stdout, "stats:", "http:", "POST")).toEqual([
      "POST /upload: receiving",
      "stats: stopped",
      "http: stopped accepting, draining 1 request(s)",
      "POST /upload: 200",
      "http: closed",
    ]);
    expect(exit.stderr).toBe("received SIGTERM, shutting down (send SIGTERM again to force)\n");
  });

  it("answers 503 to a request still running when the drain deadline passes", async () => {
    const app = start(SERVER, { env: { PORT: "0", DRAIN_TIMEOUT: "100" } });
    const url = /listening on (\S+)/.exec(await app.waitForLine("listening on"))?.[1] as string;
    const slow = get(`${url}/slow?ms=60000`);
    await app.waitForLine("GET /slow?ms=60000: waiting 60000 ms");

    app.signal("SIGINT");
    expect(await slow).toEqual({ status: 503, body: "shutting down\n" });
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(linesStartingWith(exit.stdout, "http:", "GET")).toEqual([
      "GET /slow?ms=60000: waiting 60000 ms",
      "http: stopped accepting, draining 1 request(s)",
      "GET /slow?ms=60000: 503",
      "http: closed",
    ]);
  });
});

describe("examples/crawler", () => {
  const CRAWLER = "crawler/crawl.mjs";
  const LIMIT = 3;

  /**
   * A site whose root links to 12 leaf pages. A leaf is answered only once LIMIT leaf requests are
   * in flight together, so the crawl finishes only if the crawler runs LIMIT requests at once, and
   * `maxActive` shows whether it ever ran more.
   */
  async function site(options: { hang?: boolean } = {}) {
    const state = { maxActive: 0, requests: [] as string[], held: [] as (() => void)[], full: undefined as Promise<void> | undefined };
    let active = 0;
    let onFull: () => void = () => undefined;
    state.full = new Promise<void>((resolve) => (onFull = resolve));
    const server = createServer((req, res) => {
      state.requests.push(req.url ?? "");
      if (req.url === "/") {
        res.end(Array.from({ length: 12 }, (_, i) => `<a href="/leaf/${i + 1}">${i + 1}</a>`).join("\n"));
        return;
      }
      active++; // leaf requests received and not answered yet
      state.maxActive = Math.max(state.maxActive, active);
      state.held.push(() => {
        active--;
        res.end(`<p>leaf ${req.url}</p>`);
      });
      if (active === LIMIT) {
        onFull();
        if (!options.hang) for (const answer of state.held.splice(0)) answer();
      }
    });
    return { url: `${await listen(server)}/`, state };
  }

  it("crawls every page with at most --limit requests in flight and exits 0", async () => {
    const { url, state } = await site();
    const crawler = start(CRAWLER, { args: [url, "--limit", String(LIMIT)] });
    const exit = await crawler.exited;
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain("crawled 13 pages");
    expect(state.maxActive).toBe(LIMIT);
    expect([...state.requests].sort()).toEqual(["/", ...Array.from({ length: 12 }, (_, i) => `/leaf/${i + 1}`)].sort());
  });

  it("aborts the requests in flight on Ctrl+C and exits 130", async () => {
    const { url, state } = await site({ hang: true });
    const crawler = start(CRAWLER, { args: [url, "--limit", String(LIMIT)] });
    await state.full; // LIMIT requests are waiting for an answer that never comes
    crawler.signal("SIGINT");
    const exit = await crawler.exited;
    expect(exit.code).toBe(130);
    expect(exit.stdout).toContain("crawl cancelled");
    expect(state.maxActive).toBe(LIMIT);
    expect(state.requests).toHaveLength(1 + LIMIT); // nobody waiting for a slot got one after Ctrl+C
  });

  it("crawls its own local site when given no URL", async () => {
    const exit = await start(CRAWLER, { args: ["--limit", "8"] }).exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain("crawled 40 pages");
  });
});

describe("examples/p-limit-shutdown", () => {
  const hasPLimit = (() => {
    try {
      require.resolve("p-limit");
      return true;
    } catch {
      return false;
    }
  })();
  const versions = hasPLimit ? ["before.mjs", "after.mjs"] : ["after.mjs"];

  it.each(versions)("%s runs every job and exits 0", async (file) => {
    const exit = await start(`p-limit-shutdown/${file}`, { env: { JOBS: "7", JOB_MS: "5" } }).exited;
    expect(exit.code).toBe(0);
    expect(linesStartingWith(exit.stdout, "job").filter((l) => l.endsWith("done"))).toHaveLength(7);
    expect(exit.stdout).toContain("7 jobs done");
  });

  it.each(versions)("%s on Ctrl+C starts no new job, rolls back the running ones and exits 130", async (file) => {
    const app = start(`p-limit-shutdown/${file}`, { env: { JOBS: "20", JOB_MS: "60000", CONCURRENCY: "3" } });
    await app.waitForLine("job 3: started");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(linesStartingWith(exit.stdout, "job").filter((l) => l.endsWith("started"))).toEqual([
      "job 1: started",
      "job 2: started",
      "job 3: started",
    ]);
    expect(linesStartingWith(exit.stdout, "job").filter((l) => l.endsWith("rolled back")).sort()).toEqual([
      "job 1: rolled back",
      "job 2: rolled back",
      "job 3: rolled back",
    ]);
    expect(exit.stdout).toContain("0 jobs done");
  });
});

describe("examples/stream-pipeline", () => {
  const PIPELINE = "stream-pipeline/pipeline.mjs";

  function workdir(): string {
    const dir = mkdtempSync(join(tmpdir(), "nursery-pipeline-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it("writes the error events, enriched and gzipped, in order, and exits 0", async () => {
    const dir = workdir();
    const exit = await start(PIPELINE, { args: ["--count", "500", "--out", "out.gz"], cwd: dir }).exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain("wrote 50 of 500 events to out.gz");
    const records = gunzipSync(readFileSync(join(dir, "out.gz")))
      .toString("utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { seq: number; level: string; host: string });
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 10 * (i + 1)));
    expect(records.every((r) => r.level === "error" && r.host.endsWith(".internal"))).toBe(true);
    expect(existsSync(join(dir, "out.gz.partial"))).toBe(false);
  });

  it("on Ctrl+C closes the source, removes the partial file and exits 130", async () => {
    const dir = workdir();
    const app = start(PIPELINE, { args: ["--count", "Infinity", "--rate", "1000", "--out", "out.gz"], cwd: dir });
    await app.waitForLine("progress:");
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(linesStartingWith(exit.stdout, "events:", "removed")).toEqual([
      expect.stringMatching(/^events: closed after \d+ events$/),
      "removed out.gz.partial",
    ]);
    expect(existsSync(join(dir, "out.gz"))).toBe(false);
    expect(existsSync(join(dir, "out.gz.partial"))).toBe(false);
  });
});

describe("examples/hash-folder", () => {
  const HASH = "hash-folder/hash.mjs";

  function folder(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "nursery-hash-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return dir;
  }

  const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

  it("prints every file's sha256 in name order, with a progress line, and exits 0", async () => {
    const dir = folder({ "a.txt": "alpha", "b.txt": "", "sub/c.txt": "gamma".repeat(100_000) });
    const exit = await start(HASH, { args: [dir, "--threads", "2"] }).exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout.trimEnd().split("\n")).toEqual([
      `${sha256("alpha")}  a.txt`,
      `${sha256("")}  b.txt`,
      `${sha256("gamma".repeat(100_000))}  ${join("sub", "c.txt")}`,
    ]);
    expect(exit.stderr).toContain("hashed 3/3 files");
  });

  it("on Ctrl+C stops the running workers newest-first, each running its cleanup, and exits 130", async () => {
    const dir = folder({ "a.bin": "a".repeat(4096), "b.bin": "b".repeat(4096), "c.bin": "c".repeat(4096) });
    const app = start(HASH, { args: [dir, "--threads", "3", "--passes", "1000000000"] });
    for (const name of ["a.bin", "b.bin", "c.bin"]) await app.waitForLine(`worker: hashing ${name}`);
    app.signal("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(linesStartingWith(exit.stderr, "worker: stopped")).toEqual([
      "worker: stopped c.bin, cleanup ran",
      "worker: stopped b.bin, cleanup ran",
      "worker: stopped a.bin, cleanup ran",
    ]);
    expect(exit.stdout).toBe("");
  });
});
