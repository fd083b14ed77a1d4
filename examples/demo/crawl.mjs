// The demo: a crawler with a pool of workers, against a small web site it serves itself.
//
//   run()                     Ctrl+C -> cancel everything below, newest first, then exit 130
//   └─ crawler (nursery)
//      ├─ server              the site to crawl, on 127.0.0.1:<random port>   oldest: closed last
//      ├─ queue               URLs to visit, shared by the workers
//      ├─ worker-1 .. N       take a URL, fetch it, queue its links, repeat
//      └─ progress            one updating line                               newest: stopped first
//
// Each task prints a `cleanup:` line in its `finally`, so Ctrl+C shows the order in which they are
// torn down: the reverse of the order they were started in, each waiting for the newer one to
// finish. Usage: `npm run demo -- --help`.
import { once } from "node:events";
import { createServer } from "node:http";
import { Command, InvalidArgumentError } from "commander";
import { nursery, run } from "@nursery/core";
import { fetch } from "@nursery/fetch";
import { interval, sleep } from "@nursery/timers";

const options = new Command("crawl")
  .description(
    "Crawl a web site served on 127.0.0.1 with a pool of workers, showing progress on one line.\n" +
      "Press Ctrl+C to watch every task clean up, newest first (exit 130); press it twice to force.",
  )
  .option("-w, --workers <n>", "how many pages to download at once", integer(1, 64), 4)
  .option("-p, --pages <n>", "how many pages the local site has", integer(1, 100_000), 60)
  .option("-d, --delay <ms>", "server latency per page in ms (each page takes 0.5x to 1.5x this)", integer(0, 60_000), 800)
  .option("--slow-cleanup", "for demonstration: the newest worker's cleanup hangs, so a second Ctrl+C has something to force")
  .addHelpText("after", "\nRun from the repository root: npm run demo -- --workers 8 --pages 100")
  .showHelpAfterError("(run with --help for usage)")
  .parse()
  .opts();

/** A commander option parser: an integer in [min, max], or a clear error. */
function integer(min, max) {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected an integer from ${min} to ${max}, got \`${text}\`.`);
    }
    return n;
  };
}

const say = (line) => process.stdout.write(`${line}\n`);

/** Never resolves; rejects with the task's cancellation (its `CancelledError`) when it is cancelled. */
function untilCancelled(signal) {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// The site: page i links to pages 3i-1, 3i and 3i+1, so every page is reachable from /page/1.

async function serveSite(task, { pages, delay }) {
  let served = 0;
  const server = createServer((req, res) => {
    const i = Number(/^\/page\/(\d+)$/.exec(req.url ?? "")?.[1]);
    if (!(i >= 1 && i <= pages)) return void res.writeHead(404).end();
    const latency = delay * (0.5 + ((i * 37) % 100) / 100);
    const timer = setTimeout(() => {
      served++;
      res.writeHead(200, { "content-type": "text/html" }).end(page(i, pages));
    }, latency);
    res.on("close", () => clearTimeout(timer)); // the crawler hung up (cancelled) or we answered
  });
  await once(server.listen(0, "127.0.0.1"), "listening");
  task.started(`http://127.0.0.1:${server.address().port}`);
  try {
    await untilCancelled(task.signal);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    say(`cleanup: server closed (served ${served} pages)`);
  }
}

function page(i, pages) {
  const links = [3 * i - 1, 3 * i, 3 * i + 1].filter((j) => j <= pages);
  const text = "All work and no play makes a crawler a dull crawler. ".repeat(40 + ((i * 53) % 300));
  return `<h1>Page ${i}</h1>\n${links.map((j) => `<a href="/page/${j}">page ${j}</a>`).join("\n")}\n<p>${text}</p>\n`;
}

// ---------------------------------------------------------------------------------------------
// The queue: URLs still to visit, shared by every worker. The crawl is complete when the queue is
// empty and no worker is busy (a busy worker may still find new links).

class UrlQueue {
  #seen = new Set();
  #todo = [];
  #takers = new Set();
  busy = 0;
  visited = 0;
  bytes = 0;

  constructor(first) {
    this.add(first);
  }

  add(url) {
    if (this.#seen.has(url)) return;
    this.#seen.add(url);
    this.#todo.push(url);
    const [taker] = this.#takers; // a worker waiting for work gets it at once
    if (taker !== undefined) taker(this.#todo.shift());
  }

  /** The next URL to visit, or undefined when the crawl is complete. Cancelled with `signal`. */
  take(signal) {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#todo.length > 0 || this.busy === 0) return Promise.resolve(this.#hand(this.#todo.shift()));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#takers.delete(taker);
        reject(signal.reason);
      };
      const taker = (url) => {
        this.#takers.delete(taker);
        signal.removeEventListener("abort", onAbort);
        resolve(this.#hand(url));
      };
      this.#takers.add(taker);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #hand(url) {
    if (url !== undefined) this.busy++;
    return url;
  }

  /** A worker finished a URL (after adding the links it found). */
  done(bytes) {
    this.busy--;
    this.visited++;
    this.bytes += bytes;
    if (this.busy === 0 && this.#todo.length === 0) for (const taker of this.#takers) taker(undefined);
  }

  /** Drops every URL not yet visited; returns how many. */
  close() {
    const left = this.#seen.size - this.visited;
    this.#todo.length = 0;
    return left;
  }
}

async function openQueue(task) {
  const queue = new UrlQueue("/page/1");
  task.started(queue);
  try {
    await untilCancelled(task.signal);
  } finally {
    say(`cleanup: queue closed (${queue.close()} known pages not downloaded)`);
  }
}

// ---------------------------------------------------------------------------------------------
// A worker: take a URL, download it (the task-bound fetch aborts the request if the task is
// cancelled), queue the links it finds, repeat until the crawl is complete.

async function crawl(task, { site, queue, slowCleanup }) {
  let doing = "waiting for a URL";
  try {
    for (;;) {
      const url = await queue.take(task.signal);
      if (url === undefined) return; // the crawl is complete
      doing = `fetching ${url}`;
      const response = await fetch(task, new URL(url, site), { throwHttpErrors: true });
      const html = await response.text();
      for (const [, link] of html.matchAll(/href="(\/page\/\d+)"/g)) queue.add(link);
      queue.done(Buffer.byteLength(html));
      doing = "waiting for a URL";
    }
  } finally {
    if (task.signal.aborted) {
      if (slowCleanup) {
        say(`cleanup: ${task.name} is saving its partial download (hangs on purpose: --slow-cleanup)`);
        await sleep(60_000); // no signal: this cleanup cannot be cancelled, only forced
      }
      say(`cleanup: ${task.name} stopped (was ${doing})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Progress: one line redrawn in place on a terminal; a plain line every second otherwise (logs,
// pipes, tests). It is the newest task, so Ctrl+C stops it first and the cleanup lines follow it.

const kb = (bytes) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(0)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);

class ProgressLine {
  #drawn = false;
  constructor(queue, pages, workers) {
    this.queue = queue;
    this.pages = pages;
    this.workers = workers;
    this.started = performance.now();
  }

  draw() {
    const { queue, pages, workers } = this;
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const stats = `${queue.visited}/${pages} pages | ${queue.busy}/${workers} busy | ${kb(queue.bytes)} | ${seconds} s`;
    if (!process.stdout.isTTY) return say(`progress: ${stats}`);
    const filled = Math.round((20 * queue.visited) / pages);
    const bar = `crawling [${"█".repeat(filled)}${"░".repeat(20 - filled)}] ${stats}`;
    // Cursor up and clear line, then redraw: the cursor stays below the bar, so anything else
    // printed (the "received SIGINT" line, cleanup lines) starts on a line of its own.
    process.stdout.write(`${this.#drawn ? "\x1b[1A\r\x1b[2K" : ""}${bar.slice(0, (process.stdout.columns || 80) - 1)}\n`);
    this.#drawn = true;
  }
}

async function showProgress(task, progress) {
  try {
    if (process.stdout.isTTY) progress.draw();
    for await (const _ of interval(task, process.stdout.isTTY ? 100 : 1000)) progress.draw();
  } finally {
    say(`cleanup: progress stopped at ${progress.queue.visited}/${progress.pages} pages`);
  }
}

// ---------------------------------------------------------------------------------------------

await run(async (main) => {
  const { workers, pages, delay, slowCleanup } = options;
  const started = performance.now();
  const crawled = await nursery(main,
    async (crawler) => {
      const site = await crawler.start((task) => serveSite(task, { pages, delay }), { name: "server" });
      const queue = await crawler.start(openQueue, { name: "queue" });
      const pool = [];
      for (let i = 1; i <= workers; i++) {
        const slow = slowCleanup === true && i === workers;
        pool.push(crawler.spawn((task) => crawl(task, { site, queue, slowCleanup: slow }), { name: `worker-${i}` }));
      }
      const progress = new ProgressLine(queue, pages, workers);
      crawler.spawn((task) => showProgress(task, progress), { name: "progress" });

      await Promise.all(pool); // every page downloaded (on Ctrl+C this rejects and we never get past it)
      progress.draw();
      crawler.cancel(); // the work is done: stop progress, queue and server, newest first
      return queue;
    },
    { name: "crawler" },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say(`done: ${crawled.visited} pages (${kb(crawled.bytes)}) in ${seconds} s with ${workers} workers`);
});
