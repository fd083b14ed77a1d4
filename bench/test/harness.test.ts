import { describe, it, expect } from "@jest/globals";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Runs the whole benchmark harness in quick mode (small sizes, one run per figure) in a child
// process, against the built packages (`npx tsc -b` first, as `npm test` does). It proves the
// harness works end to end; it asserts no timings, only that every figure exists.

const runScript = join(__dirname, "..", "run.mjs");
const impls = ["nursery", "effection", "effect", "floor"];
const scenarioIds = ["1", "2", "3a", "3b", "4", "5", "6"];

interface Summary { median: number; min: number; max: number; n: number }
interface Row { row: string; impl: string; metrics?: Record<string, Summary>; error?: string }
interface Results {
  meta: { mode: string; runs: number; failures: number };
  scenarios: { id: string; rows: Row[] }[];
  bars: { id: string; met: boolean | null }[];
}

function runNode(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("bench/run.mjs --quick", () => {
  it("measures every scenario for every implementation and writes the JSON results", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nursery-bench-"));
    const out = join(dir, "quick.json");
    try {
      const { code, stdout, stderr } = await runNode([runScript, "--quick", "--out", out]);
      // On failure the diff shows the tail of the output, which names the failed measurement.
      const output = code === 0 ? "" : `${stderr}\n${stdout}`.slice(-3000);
      expect({ code, output }).toEqual({ code: 0, output: "" });
      expect(stdout).toContain("x nursery");
      expect(stdout).toContain("Performance bars");

      const results = JSON.parse(readFileSync(out, "utf8")) as Results;
      expect(results.meta).toMatchObject({ mode: "quick", runs: 1, failures: 0 });
      expect(results.scenarios.map((s) => s.id)).toEqual(scenarioIds);

      const missing: string[] = [];
      for (const scenario of results.scenarios) {
        for (const impl of impls) {
          const rows = scenario.rows.filter((row) => row.impl === impl);
          if (rows.length === 0) missing.push(`${scenario.id}/${impl}: no row`);
          for (const row of rows) {
            const metrics = Object.entries(row.metrics ?? {});
            if (metrics.length === 0) missing.push(`${scenario.id}/${row.row}: ${row.error ?? "no metrics"}`);
            for (const [key, summary] of metrics) {
              if (!Number.isFinite(summary.median)) missing.push(`${scenario.id}/${row.row}/${key}: ${summary.median}`);
            }
          }
        }
      }
      expect(missing).toEqual([]);
      expect(results.bars.length).toBeGreaterThan(0);
      expect(readFileSync(out.replace(/\.json$/, ".txt"), "utf8")).toContain("Performance bars");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("bench/http.mjs --quick", () => {
  it("measures both servers' throughput and every server's drain, and writes the JSON results", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nursery-bench-http-"));
    const out = join(dir, "http.json");
    try {
      const { code, stdout, stderr } = await runNode([join(__dirname, "..", "http.mjs"), "--quick", "--out", out]);
      const output = code === 0 ? "" : `${stderr}\n${stdout}`.slice(-3000);
      expect({ code, output }).toEqual({ code: 0, output: "" });
      const results = JSON.parse(readFileSync(out, "utf8")) as {
        throughput: { rows: { impl: string; rps: number; cpu: number }[] };
        drain: { rows: { impl: string; drainMs: number; firstOk: number }[] };
      };
      expect(results.throughput.rows.map((r) => r.impl)).toEqual(["bare", "nursery"]);
      for (const r of results.throughput.rows) expect([r.rps, r.cpu].every((x) => Number.isFinite(x) && x > 0)).toBe(true);
      expect(results.drain.rows.map((r) => r.impl)).toEqual(["nursery", "http-terminator", "close-with-grace", "bare"]);
      for (const r of results.drain.rows) expect([r.drainMs, r.firstOk].every(Number.isFinite)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
