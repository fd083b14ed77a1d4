// A crawler with a concurrency limit: one task per page, at most LIMIT requests at once.
//
//   run()
//   └─ main (nursery)
//      ├─ site                    a local site to crawl, when no URL is given (oldest: closed last)
//      └─ crawler
//         └─ crawl (nursery)      done when every page task is done: no counter, no Promise.all
//            ├─ page /            fetch, parse links, spawn a task per new link (same nursery)
//            ├─ page /page/2      each waits for a slot of the shared Limiter before its request
//            └─ ...
//
// Usage: node examples/crawler/crawl.mjs [start-url] [--limit 4] [--max-pages 100]
// Without a start URL it serves a small site on 127.0.0.1 itself and crawls that.
// Ctrl+C aborts every request in flight, drops every task waiting for a slot, exits 130.
import { once } from "node:events";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { isCancellation, nursery, run } from "@nursery/core";
import { HttpError, Limiter, fetch } from "@nursery/fetch";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { limit: { type: "string", default: "4" }, "max-pages": { type: "string", default: "100" } },
});
const LIMIT = Number(values.limit);
const MAX_PAGES = Number(values["max-pages"]);

/** Links on one HTML page that stay on the same origin, without fragments. */
function linksOf(html, base) {
  const out = [];
  for (const [, href] of html.matchAll(/href="([^"]+)"/g)) {
    const url = new URL(href, base);
    url.hash = "";
    if (url.origin === new URL(base).origin) out.push(url.href);
  }
  return out;
}

/** Crawls from `start`; resolves with the pages fetched once every page task has finished. */
async function crawl(start, signal) {
  const limiter = new Limiter({ limit: LIMIT }); // shared by every page task
  const seen = new Set([start]);
  const pages = new Map();
  await nursery(
    async (n) => {
      const visit = (url) =>
        n.spawn(
          async (task) => {
            try {
              const res = await fetch(task, url, { limiter, timeout: 10_000, retry: 2, throwHttpErrors: true });
              const html = await res.text(); // read the body inside the task, under the same slot
              pages.set(url, html.length);
              console.log(`fetched ${new URL(url).pathname} (${pages.size}/${seen.size})`);
              for (const link of linksOf(html, url)) {
                if (seen.has(link) || seen.size >= MAX_PAGES) continue;
                seen.add(link);
                visit(link); // a child may spawn siblings: the nursery waits for them too
              }
            } catch (err) {
              if (err instanceof HttpError) console.log(`skipped ${url}: ${err.status}`);
              else throw err; // a cancellation is absorbed; anything else fails the crawl
            }
          },
          { name: `page ${new URL(url).pathname}` },
        );
      visit(start);
    },
    { name: "crawl", signal },
  );
  return pages;
}

/** A small site to crawl when no URL is given: 40 pages, page i links to pages 2i and 2i+1. */
async function serveSite(task) {
  const server = createServer((req, res) => {
    const i = req.url === "/" ? 1 : Number(/^\/page\/(\d+)$/.exec(req.url ?? "")?.[1]);
    if (!(i >= 1 && i <= 40)) return void res.writeHead(404).end();
    const links = [2 * i, 2 * i + 1].filter((j) => j <= 40).map((j) => `<a href="/page/${j}">${j}</a>`);
    const timer = setTimeout(() => res.end(`<h1>page ${i}</h1>${links.join(" ")}`), 50); // 50 ms latency
    res.on("close", () => clearTimeout(timer));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  task.started(`http://127.0.0.1:${server.address().port}/`);
  await new Promise((resolve) => task.signal.addEventListener("abort", resolve, { once: true }));
  server.closeAllConnections();
  server.close();
}

await run(async (main) => {
  await nursery(main,
    async (n) => {
      // The site is started first and the crawler second, so on Ctrl+C the crawler is cancelled
      // first and the site closes only after every request to it was aborted.
      const start = positionals[0] ?? (await n.start(serveSite, { name: "site" }));
      n.spawn(
        async (task) => {
          console.log(`crawling ${start} with at most ${LIMIT} requests at once`);
          try {
            const pages = await crawl(start, task.signal);
            console.log(`crawled ${pages.size} pages`);
          } catch (err) {
            if (isCancellation(err)) console.log("crawl cancelled");
            throw err;
          }
          n.cancel(); // the crawl is done: stop the site server, if we started one
        },
        { name: "crawler" },
      );
    },
    { name: "main" },
  );
});
