// HTTP benchmark of @nursery/http, in one run, each server in a fresh process (bench/http/server.mjs):
//   1. throughput: requests/s through serve() against bare node:http with the same handler, under
//      autocannon (50 connections, keep-alive), and the server's CPU time per request; both servers
//      live side by side, rounds alternate between them; goal >= 0.9x.
//   2. drain: N keep-alive clients each with a request in flight (held 1.5 s) at SIGTERM, then
//      sending again on their connection until told `Connection: close` or cut off; the same with
//      serve(), http-terminator, close-with-grace + server.close(), and bare node:http. Counts what
//      the clients saw and the drain time (SIGTERM -> process exit).
// Usage: node bench/http.mjs [--quick] [--only throughput|drain] [--out file.json]
// Imports the built packages: run `npx tsc -b` first. Bounded: ~2 min full, ~15 s --quick.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const SERVER = fileURLToPath(new URL("./http/server.mjs", import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const out = args.includes("--out") ? args[args.indexOf("--out") + 1] : undefined;
const P = quick
  ? { rounds: 2, seconds: 1, warmup: 1, connections: 20, inFlight: 100, boundMs: 3000, drainRuns: 1, holdMs: 1000 }
  : { rounds: 10, seconds: 3, warmup: 2, connections: 50, inFlight: 1000, boundMs: 10_000, drainRuns: 3, holdMs: 1500 };

/** Starts a server process and resolves with it and its port once it listens. */
function startServer(impl, mode, params = {}) {
  const child = spawn(process.execPath, [SERVER, impl, mode, JSON.stringify(params)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const lines = [];
  const waiters = [];
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.on("data", (d) => {
    stdout += d;
    for (const line of d.split("\n")) if (line) lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, at: performance.now() })));
  const waitFor = (prefix) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${impl}: no "${prefix}" line within 20 s\n${stdout}\n${stderr}`)), 20_000);
      const check = () => {
        const line = lines.find((l) => l.startsWith(prefix));
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(line);
        } else waiters.push(check);
      };
      check();
      exited.then(() => reject(new Error(`${impl}: exited before "${prefix}"\n${stdout}\n${stderr}`)));
    });
  return { child, exited, waitFor, output: () => ({ stdout, stderr }) };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (n, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

// ===== 1. throughput =====

async function cpuOf(port) {
  const res = await fetch(`http://127.0.0.1:${port}/__cpu`);
  const { user, system } = await res.json();
  return user + system;
}

/**
 * Both servers run side by side; rounds alternate between them (ABBA...), so load from outside
 * the bench hits both alike. Each round: req/s seen by autocannon, and the server's CPU time per
 * request (from process.cpuUsage() read over HTTP before and after).
 */
async function throughput() {
  const servers = {};
  for (const impl of ["bare", "nursery"]) {
    const server = startServer(impl, "throughput");
    const port = Number((await server.waitFor("listening ")).split(" ")[1]);
    servers[impl] = { server, port, url: `http://127.0.0.1:${port}/` };
    await autocannon({ url: servers[impl].url, connections: P.connections, duration: P.warmup });
  }
  const samples = { bare: [], nursery: [] };
  try {
    for (let round = 0; round < P.rounds; round++) {
      for (const impl of round % 2 === 0 ? ["bare", "nursery"] : ["nursery", "bare"]) {
        const { port, url } = servers[impl];
        const before = await cpuOf(port);
        const result = await autocannon({ url, connections: P.connections, duration: P.seconds });
        const cpu = (await cpuOf(port)) - before;
        if (result.errors > 0 || result.non2xx > 0) throw new Error(`${impl}: ${result.errors} errors, ${result.non2xx} non-2xx`);
        samples[impl].push({ rps: result.requests.average, p99: result.latency.p99, cpuPerRequest: cpu / (result.requests.total + 2) });
      }
    }
  } finally {
    for (const { server } of Object.values(servers)) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
  }
  const row = (impl) => ({
    impl,
    rps: median(samples[impl].map((s) => s.rps)),
    min: Math.min(...samples[impl].map((s) => s.rps)),
    max: Math.max(...samples[impl].map((s) => s.rps)),
    p99: median(samples[impl].map((s) => s.p99)),
    cpu: median(samples[impl].map((s) => s.cpuPerRequest)),
  });
  const bare = row("bare");
  const nursery = row("nursery");
  // Per-round ratios: each pair ran back to back, under the same outside load.
  const pairs = samples.bare.map((b, i) => samples.nursery[i].rps / b.rps);
  return { params: P, rows: [bare, nursery], ratio: median(pairs), cpuRatio: bare.cpu / nursery.cpu, samples };
}

// ===== 2. drain =====

async function drain(impl) {
  const server = startServer(impl, "drain", { inFlight: P.inFlight, holdMs: P.holdMs, boundMs: P.boundMs });
  const port = Number((await server.waitFor("listening ")).split(" ")[1]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const counts = { firstOk: 0, firstDropped: 0, firstOther: 0, laterOk: 0, later503: 0, refused: 0, laterDropped: 0 };
  const codes = {}; // what the failed requests got, for the JSON
  const note = (outcome) => {
    const key = "error" in outcome ? outcome.error : String(outcome.status);
    if (key !== "200") codes[key] = (codes[key] ?? 0) + 1;
  };
  let serverGone = false;
  const once = () =>
    new Promise((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode, close: res.headers.connection === "close" }));
        res.on("error", (err) => resolve({ error: err.code ?? err.message }));
      });
      req.on("error", (err) => resolve({ error: err.code ?? err.message }));
    });
  const client = async () => {
    const first = await once();
    note(first);
    if (first.status === 200) counts.firstOk++;
    else if ("error" in first && first.error !== "ECONNREFUSED") counts.firstDropped++;
    else counts.firstOther++;
    let last = first;
    // A keep-alive client goes on on its connection until told to close or cut off.
    while (!("error" in last) && !last.close && !serverGone) {
      last = await once();
      note(last);
      if (last.status === 200) counts.laterOk++;
      else if (last.status === 503) counts.later503++;
      else if (last.error === "ECONNREFUSED") counts.refused++;
      else counts.laterDropped++;
    }
  };
  const clients = Array.from({ length: P.inFlight }, client);
  await server.waitFor("ready");
  const sent = performance.now();
  server.child.kill("SIGTERM");
  const exit = await server.exited;
  serverGone = true;
  await Promise.all(clients);
  agent.destroy();
  return { impl, drainMs: exit.at - sent, exit: exit.code ?? exit.signal, codes, ...counts };
}

// ===== report =====

const report = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, date: new Date().toISOString(), quick };
const lines = [`http bench, ${quick ? "quick" : "full"} mode; node ${process.version} on ${report.cpus} CPUs (${report.cpu}); ${report.date}`];

if (only === undefined || only === "throughput") {
  const t = await throughput();
  report.throughput = t;
  lines.push(
    "",
    `1. requests/s, same handler, autocannon ${P.connections} connections x ${P.seconds} s, ${P.rounds} alternating rounds against two live servers; median [min - max]`,
    "   server                      req/s                        p99 (ms)  server CPU / request (us)",
    ...t.rows.map(
      (r) =>
        `   ${(r.impl === "bare" ? "bare node:http" : "@nursery/http serve()").padEnd(27)} ${`${fmt(r.rps)} [${fmt(r.min)} - ${fmt(r.max)}]`.padEnd(28)} ${String(r.p99).padEnd(9)} ${fmt(r.cpu, 1)}`,
    ),
    `   serve() / bare: ${t.ratio.toFixed(2)}x req/s (median of per-round ratios), ${t.cpuRatio.toFixed(2)}x by CPU per request; goal >= 0.90x: ${Math.min(t.ratio, t.cpuRatio) >= 0.9 ? "met" : "NOT met"}`,
  );
}

if (only === undefined || only === "drain") {
  const impls = ["nursery", "http-terminator", "close-with-grace", "bare"];
  const runs = Object.fromEntries(impls.map((impl) => [impl, []]));
  for (let run = 0; run < P.drainRuns; run++) for (const impl of impls) runs[impl].push(await drain(impl));
  // Counts are summed over the runs; the drain time is the median, the exit codes are listed.
  const rows = impls.map((impl) => {
    const r = runs[impl];
    const sum = (key) => r.reduce((total, x) => total + x[key], 0);
    return {
      impl,
      runs: r,
      drainMs: median(r.map((x) => x.drainMs)),
      exit: [...new Set(r.map((x) => x.exit))].join(","),
      ...Object.fromEntries(["firstOk", "firstDropped", "firstOther", "laterOk", "later503", "refused", "laterDropped"].map((k) => [k, sum(k)])),
    };
  });
  report.drain = { params: { inFlight: P.inFlight, holdMs: P.holdMs, boundMs: P.boundMs, runs: P.drainRuns }, rows };
  const name = { nursery: "@nursery/http serve()", "http-terminator": "http-terminator", "close-with-grace": "close-with-grace + close()", bare: "bare (no handling)" };
  lines.push(
    "",
    `2. SIGTERM with ${fmt(P.inFlight)} keep-alive requests in flight (each held ${fmt(P.holdMs)} ms), clients sending again until told Connection: close;`,
    `   requests summed over ${P.drainRuns} run(s) of fresh processes, median drain time (SIGTERM -> exit); every server bounded at ${fmt(P.boundMs)} ms`,
    "   server                      in flight: ok / dropped  later: ok / 503 / refused / dropped  drain (ms)  exit",
    ...rows.map(
      (r) =>
        `   ${name[r.impl].padEnd(27)} ${`${r.firstOk} / ${r.firstDropped + r.firstOther}`.padEnd(24)} ${`${r.laterOk} / ${r.later503} / ${r.refused} / ${r.laterDropped}`.padEnd(36)} ${fmt(r.drainMs).padEnd(11)} ${r.exit}`,
    ),
  );
}

const text = lines.join("\n");
console.log(text);
if (out !== undefined) {
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));
  writeFileSync(out.replace(/\.json$/, "") + ".txt", `${text}\n`);
}
