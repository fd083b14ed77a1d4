// A real browser: Debian's Chromium, driven by puppeteer-core, loads core, timers, fetch and
// streams bundled by esbuild for the browser (no externals) from a loopback page, runs the neutral
// suite there, and shows on the server's side that a cancelled fetch and a cancelled ReadableStream
// body close the connection. Without Chromium it says so in one line and runs nothing (CI installs
// it: `apt-get install -y chromium`, and sets NURSERY_REQUIRE_BROWSER=1 so that a missing browser
// fails instead). CHROMIUM_PATH overrides /usr/bin/chromium.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { LoopbackServer, bundle, endlessRoute, hangingRoute } from "./support.js";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const missing = existsSync(chromium) ? undefined : `${chromium} not found (apt-get install -y chromium, or set CHROMIUM_PATH)`;

interface PageApi {
  checkCount: number;
  runSuite(): Promise<{ passed: string[]; failed: { name: string; error: string }[] }>;
  startHangingFetch(path: string): void;
  cancelHangingFetch(): Promise<{ task: string; nursery: string }>;
  readThenCancel(path: string, reads: number): Promise<number>;
}
declare const nurseryPage: PageApi;

if (missing !== undefined && process.env.NURSERY_REQUIRE_BROWSER === "1") {
  describe("nursery in Chromium", () => {
    it("has a browser to run in (NURSERY_REQUIRE_BROWSER=1)", () => {
      throw new Error(missing);
    });
  });
} else if (missing !== undefined) {
  process.stderr.write(`runtimes/test/browser.test.ts: not run: ${missing}\n`);
  describe("nursery in Chromium", () => {
    it.skip(`runs in a real browser (not run: ${missing})`, () => undefined);
  });
} else {
  describe("nursery in Chromium", () => {
    let server: LoopbackServer;
    let browser: Browser | undefined;
    let page: Page;
    let profile: string;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      const script = await bundle("browser/page.mjs", "browser");
      server = new LoopbackServer({
        "/": (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script type="module" src="/page.js"></script>'),
        "/page.js": (_req, res) => res.writeHead(200, { "content-type": "text/javascript" }).end(script),
        "/hang": hangingRoute,
        "/endless": endlessRoute,
      });
      await server.listen();
      profile = mkdtempSync(join(tmpdir(), "nursery-chromium-"));
      const { launch } = await import("puppeteer-core");
      browser = await launch({
        executablePath: chromium,
        headless: true,
        userDataDir: profile,
        timeout: 20_000,
        protocolTimeout: 20_000,
        // Root on a closed network: no sandbox, and nothing that phones home.
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      page = await browser.newPage();
      page.on("pageerror", (err) => pageErrors.push(String(err)));
      await page.goto(`${server.origin}/`, { waitUntil: "load", timeout: 20_000 });
      await page.waitForFunction(() => typeof nurseryPage === "object", { timeout: 20_000 });
    }, 60_000);

    afterAll(async () => {
      const proc = browser?.process();
      await browser?.close().catch(() => proc?.kill("SIGKILL"));
      await server?.close();
      if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    });

    it("loads the bundle without a page error", () => {
      expect(pageErrors).toEqual([]);
    });

    it("passes every check of the neutral suite", async () => {
      const { passed, failed } = await page.evaluate(() => nurseryPage.runSuite());
      expect(failed).toEqual([]);
      expect(passed).toHaveLength(await page.evaluate(() => nurseryPage.checkCount));
    });

    it("closes the request's socket on the server when the fetching task is cancelled", async () => {
      await page.evaluate(() => nurseryPage.startHangingFetch("/hang"));
      await server.waitForLine(/^GET \/hang: request received$/);
      const seen = await page.evaluate(() => nurseryPage.cancelHangingFetch());
      expect(seen).toEqual({ task: "cancelled (explicit)", nursery: "nursery resolved" });
      const line = await server.waitForLine(/^GET \/hang: client closed the socket/);
      expect(line).toBe("GET /hang: client closed the socket before the response (response sent: false)");
    });

    it("stops the server's writes when a ReadableStream body is cancelled midway", async () => {
      const reads = await page.evaluate(() => nurseryPage.readThenCancel("/endless", 3));
      expect(reads).toBe(3);
      const line = await server.waitForLine(/^GET \/endless: client closed the socket/);
      expect(line).toMatch(/^GET \/endless: client closed the socket after \d+ chunks; writes stopped$/);
    });
  });
}
