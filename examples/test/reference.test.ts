// docs/reference/ is generated from the TSDoc of every package by `npm run docs` and committed so
// readers can browse it. This test regenerates it into a temporary folder and fails when the
// committed pages differ, so the reference cannot drift from the sources.
import { describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = join(__dirname, "..", "..");

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, "utf8"));
    }
  };
  walk(dir);
  return out;
}

describe("docs/reference", () => {
  it("matches what `npm run docs` generates from the current sources", () => {
    const out = mkdtempSync(join(tmpdir(), "nursery-reference-"));
    try {
      const typedoc = join(root, "node_modules", "typedoc", "bin", "typedoc");
      const result = spawnSync(process.execPath, [typedoc, "--out", out], { cwd: root, encoding: "utf8" });
      expect(result.status).toBe(0);
      const fresh = files(out);
      const committed = files(join(root, "docs", "reference"));
      const stale = [...new Set([...fresh.keys(), ...committed.keys()])].filter(
        (f) => fresh.get(f) !== committed.get(f),
      );
      // Non-empty: run `npm run docs` and commit docs/reference/.
      expect(stale).toEqual([]);
      expect(fresh.size).toBeGreaterThan(50);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
