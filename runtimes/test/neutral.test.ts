// The platform-neutral entries: what a browser, workerd or any bundler without Node's modules gets
// from @nursery/core, timers, fetch and streams (package.json `imports`, default condition).
import { describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import * as esbuild from "esbuild";
import { LoopbackServer, bundle, runtimesDir } from "./support.js";

const packagesDir = join(runtimesDir, "..", "packages");
const NEUTRAL = ["core", "timers", "fetch", "streams"];
/** Subpaths of core that are as platform-neutral as its main entry. */
const NEUTRAL_SUBPATHS = ["adapter", "debug"];

/** Each module's value imports (erased `import type` / `export type` lines left out), as written. */
function valueImports(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const specifiers: string[] = [];
  // `import x from "y"`, `import { a } from "y"`, `export { a } from "y"`, `import "y"`, across lines.
  const pattern = /^(import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?["']([^"']+)["']/gms;
  for (const match of source.matchAll(pattern)) if (match[2] === undefined) specifiers.push(match[3]!);
  // import("y") loads at run time too.
  for (const match of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** Resolves a specifier the way the default (browser, workerd) condition would, to a source file. */
function resolveNeutral(from: string, specifier: string): string | undefined {
  if (specifier.startsWith(".")) return resolve(dirname(from), specifier.replace(/\.js$/, ".ts"));
  const host = /^#([a-z]+)-host\/(.+)$/.exec(specifier);
  if (host) return join(packagesDir, host[1]!, "src", "internal", "host", `${host[2]}.neutral.ts`);
  const pkg = /^@nursery\/([a-z]+)$/.exec(specifier);
  if (pkg) return join(packagesDir, pkg[1]!, "src", "index.ts");
  // The adapter kit (`@nursery/core/adapter`) and the opt-in diagnostics (`@nursery/core/debug`)
  // are part of core's neutral surface.
  const subpath = /^@nursery\/([a-z]+)\/(adapter|debug)$/.exec(specifier);
  if (subpath) return join(packagesDir, subpath[1]!, "src", subpath[2]!, "index.ts");
  return undefined;
}

/** Every module a neutral entry loads, with the specifiers it imports that are not our own modules. */
function neutralGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    const foreign: string[] = [];
    seen.set(file, foreign);
    for (const specifier of valueImports(file)) {
      const target = resolveNeutral(file, specifier);
      if (target === undefined) foreign.push(specifier);
      else pending.push(target);
    }
  }
  return seen;
}

describe("platform-neutral entries", () => {
  it.each(NEUTRAL)("@nursery/%s loads no node: module and no other package under the default condition", (name) => {
    const graph = neutralGraph(join(packagesDir, name, "src", "index.ts"));
    const foreign = [...graph].flatMap(([file, specifiers]) => specifiers.map((s) => `${file.slice(packagesDir.length)} imports ${s}`));
    expect(foreign).toEqual([]);
    // The walk did follow the package's modules (a broken walk would find nothing to object to).
    expect(graph.size).toBeGreaterThan(3);
  });

  it.each(NEUTRAL_SUBPATHS)("@nursery/core/%s loads no node: module and no other package under the default condition", (subpath) => {
    const graph = neutralGraph(join(packagesDir, "core", "src", subpath, "index.ts"));
    const foreign = [...graph].flatMap(([file, specifiers]) => specifiers.map((s) => `${file.slice(packagesDir.length)} imports ${s}`));
    expect(foreign).toEqual([]);
    expect(graph.size).toBeGreaterThan(3);
  });

  it("finds a node: import when one is added to a neutral module (the check above can fail)", () => {
    const dir = mkdtempSync(join(tmpdir(), "nursery-neutral-"));
    try {
      writeFileSync(join(dir, "a.ts"), 'import type { X } from "node:util";\nimport { b } from "./b.js";\n');
      writeFileSync(join(dir, "b.ts"), 'export {\n  inspect,\n} from "node:util";\nexport const b = await import("node:os");\n');
      const graph = neutralGraph(join(dir, "a.ts"));
      expect(graph.get(join(dir, "a.ts"))).toEqual([]);
      expect(graph.get(join(dir, "b.ts"))).toEqual(["node:util", "node:os"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives every Node variant of a runtime-chosen module a neutral variant with the same exports", async () => {
    const pairs: string[] = [];
    for (const name of NEUTRAL) {
      const hostDir = join(packagesDir, name, "src", "internal", "host");
      let files: string[];
      try {
        files = readdirSync(hostDir);
      } catch {
        continue;
      }
      for (const file of files.filter((f) => f.endsWith(".node.ts"))) {
        const nodeVariant = (await import(join(hostDir, file))) as object;
        const neutralVariant = (await import(join(hostDir, file.replace(".node.ts", ".neutral.ts")))) as object;
        expect(Object.keys(neutralVariant).sort()).toEqual(Object.keys(nodeVariant).sort());
        pairs.push(`${name}/${file}`);
      }
    }
    expect(pairs.length).toBeGreaterThanOrEqual(5);
  });

  /** The modules an esbuild --platform=browser bundle of `export * from specifier` reads, nothing external. */
  async function browserBundleInputs(specifier: string): Promise<string[]> {
    const result = await esbuild.build({
      stdin: { contents: `export * from "${specifier}";`, resolveDir: runtimesDir, loader: "js" },
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    return Object.keys(result.metafile.inputs);
  }

  it.each(NEUTRAL)("@nursery/%s bundles with esbuild --platform=browser and no externals", async (name) => {
    const inputs = await browserBundleInputs(`@nursery/${name}`);
    expect(inputs.filter((input) => input.startsWith("node:") || input.includes(".node.js"))).toEqual([]);
    expect(inputs.some((input) => input.includes(`packages/${name}/dist/index.js`))).toBe(true);
  });

  it.each(NEUTRAL_SUBPATHS)("@nursery/core/%s bundles with esbuild --platform=browser and no externals", async (subpath) => {
    const inputs = await browserBundleInputs(`@nursery/core/${subpath}`);
    expect(inputs.filter((input) => input.startsWith("node:") || input.includes(".node.js"))).toEqual([]);
    expect(inputs.some((input) => input.includes(`packages/core/dist/${subpath}/index.js`))).toBe(true);
  });

  it("passes the neutral suite on Node too, where run() is the real process entry", async () => {
    const server = new LoopbackServer({});
    await server.listen();
    const dir = mkdtempSync(join(tmpdir(), "nursery-neutral-"));
    try {
      const file = join(dir, "suite.mjs");
      writeFileSync(file, await bundle("suite/node-entry.mjs", "node"));
      const child = spawn(process.execPath, [file, server.origin], { stdio: ["ignore", "pipe", "inherit"], timeout: 20_000 });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise((done) => child.on("close", done));
      expect(code).toBe(0);
      const { passed, failed } = JSON.parse(out) as { passed: string[]; failed: unknown[] };
      expect(failed).toEqual([]);
      expect(passed.length).toBeGreaterThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await server.close();
    }
  });
});
