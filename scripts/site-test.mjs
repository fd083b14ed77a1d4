#!/usr/bin/env node
// The browser check of the docs site: serves docs/.vitepress/dist (built by `npm run docs:build`)
// on 127.0.0.1, opens it in headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH)
// through puppeteer-core, and checks that the landing page says what the library is and shows the
// first example, that a reference page renders, and that search opens. Ends with
// `site-test: N passed, N failed`; without Chromium it says in one line that it did not run, why.
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const site = join(root, "docs", ".vitepress", "dist");
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

if (!existsSync(chromium)) {
  console.log(`site-test: did not run: no Chromium at ${chromium} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  process.exit(0);
}
if (!existsSync(join(site, "index.html"))) {
  console.log("site-test: 0 passed, 1 failed (no built site: run `npm run docs:build` first)");
  process.exit(1);
}

const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml", ".woff2": "font/woff2" };

/** Static files with clean URLs, as a host serving the site would: /a/b -> /a/b.html or /a/b/index.html. */
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
  const candidates = [join(site, path), join(site, `${path}.html`), join(site, path, "index.html")];
  const file = candidates.find((f) => f.startsWith(site) && existsSync(f) && statSync(f).isFile());
  if (file === undefined) {
    res.writeHead(404).end("not found");
    return;
  }
  res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const results = [];
function check(name, ok, detail = "") {
  results.push(ok);
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${!ok && detail ? `: ${detail}` : ""}`);
}

const { default: puppeteer } = await import("puppeteer-core");
const profile = mkdtempSync(join(tmpdir(), "nursery-site-test-"));
let browser;
const deadline = setTimeout(() => {
  console.log("site-test: 0 passed, 1 failed (gave up after 120 s)");
  browser?.process()?.kill("SIGKILL");
  process.exit(1);
}, 120_000);
try {
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir: profile,
    // As root in a closed network: no sandbox, no GPU, no background connections.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));

  const landing = await page.goto(`${base}/`, { waitUntil: "networkidle0", timeout: 60_000 });
  check("landing page loads (HTTP 200)", landing?.status() === 200, String(landing?.status()));
  const hero = await page.$eval(".VPHero", (e) => e.textContent ?? "").catch(() => "");
  check("landing page says what the library is", /nursery/.test(hero) && /Structured concurrency for TypeScript/.test(hero), hero.slice(0, 200));
  const code = await page.$$eval("div[class*='language-'] pre", (els) => els.map((e) => e.textContent ?? "").join("\n"));
  check("landing page shows the first example", code.includes("await nursery(async (n)") && code.includes("n.spawn("), code.slice(0, 200));
  const text = await page.evaluate(() => document.body.innerText);
  check("landing page shows no repository commands", !/npm ci|npm run demo/.test(text));

  const refUrl = `${base}/reference/@nursery/core/README`;
  const reference = await page.goto(refUrl, { waitUntil: "networkidle0", timeout: 60_000 });
  const h1 = await page.$eval(".vp-doc h1", (e) => e.textContent ?? "").catch(() => "");
  const links = await page.$$eval(".vp-doc a", (els) => els.length);
  check("a reference page renders (@nursery/core)", reference?.status() === 200 && h1.includes("@nursery/core") && links > 5, `${reference?.status()} h1=${h1} links=${links}`);
  const sidebar = await page.$$eval(".VPSidebar a", (els) => els.map((e) => e.textContent?.trim()));
  check("the reference sidebar lists every package", sidebar.filter((t) => t?.startsWith("@nursery/")).length >= 6, sidebar.join(", "));

  await page.click(".VPNavBarSearch button");
  await page.waitForSelector(".VPLocalSearchBox input", { timeout: 10_000 });
  await page.type(".VPLocalSearchBox input", "moveOnAfter");
  const hit = await page.waitForSelector(".VPLocalSearchBox .result", { timeout: 10_000 }).then(() => true, () => false);
  check("search finds moveOnAfter", hit);
  check("no script errors on the pages", errors.length === 0, errors.join("; "));
} catch (error) {
  check("site-test ran to the end", false, error instanceof Error ? error.message : String(error));
} finally {
  clearTimeout(deadline);
  await browser?.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
const failed = results.filter((ok) => !ok).length;
console.log(`site-test: ${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
