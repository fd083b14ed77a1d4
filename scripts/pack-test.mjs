#!/usr/bin/env node
// The packaging test: what a user gets from npm, checked on the tarballs themselves.
// Packs every packages/*/package.json (not private), then, in a fresh project under os.tmpdir():
// README links resolve inside each tarball, publint (strict), attw --pack (esm-only profile), a
// consumer importing every `exports` key of every package, run by node (import and require) and
// type-checked with skipLibCheck: false by every TypeScript version claimed (TYPESCRIPT below),
// including that a task's own context is refused as an `await` operand and an async return value,
// and core alone upgraded to a patch version and
// reinstalled. Ends with one line: `pack-test: N passed, N failed`. Bounded: each command has a
// time limit and the whole run stops after PACK_TEST_TIMEOUT_MS (default 15 minutes).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const started = Date.now();
const budget = Number(process.env.PACK_TEST_TIMEOUT_MS ?? 15 * 60_000);
const work = mkdtempSync(join(tmpdir(), "nursery-pack-test-"));
const results = [];

function remaining() {
  const left = budget - (Date.now() - started);
  if (left <= 0) throw new Error(`pack-test ran out of its ${budget} ms`);
  return left;
}

/** Runs a command with a time limit (never beyond the run's budget); returns status and output. */
function run(command, args, options = {}) {
  const timeout = Math.min(options.timeout ?? 5 * 60_000, remaining());
  const r = spawnSync(command, args, { encoding: "utf8", timeout, maxBuffer: 64 << 20, ...options });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.error) return { status: -1, output: `${output}\n${r.error.message}` };
  return { status: r.status ?? -1, output };
}

function check(name, ok, detail = "") {
  results.push({ name, ok });
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
}

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;

function packages() {
  const dir = join(root, "packages");
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "package.json")))
    .map((name) => ({ dir: join(dir, name), json: JSON.parse(readFileSync(join(dir, name, "package.json"), "utf8")) }))
    .filter((p) => p.json.private !== true);
}

function pack(dir, destination, extra = []) {
  const r = run("npm", ["pack", "--json", "--pack-destination", destination, ...extra], { cwd: dir });
  if (r.status !== 0) throw new Error(`npm pack in ${dir} failed:\n${r.output}`);
  const json = r.output.slice(r.output.indexOf("[\n"));
  const [entry] = JSON.parse(json.slice(0, json.lastIndexOf("]") + 1));
  return { file: join(destination, entry.filename), size: entry.size, unpacked: entry.unpackedSize, count: entry.entryCount };
}

function extract(tarball, into) {
  mkdirSync(into, { recursive: true });
  const r = run("tar", ["-xzf", tarball, "-C", into]);
  if (r.status !== 0) throw new Error(`tar failed: ${r.output}`);
  return join(into, "package");
}

/** Relative links of a markdown file that do not resolve to a file inside `base`. */
function brokenLinks(markdownPath, base) {
  const text = readFileSync(markdownPath, "utf8").replace(/```[\s\S]*?```/g, "");
  const broken = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
    const path = resolve(dirname(markdownPath), target.split("#")[0]);
    if (relative(base, path).startsWith("..") || !existsSync(path)) broken.push(target);
  }
  return broken;
}

/**
 * The TypeScript versions the packages claim to support (docs/guide/installing.md says so): every
 * 5.x minor from the floor, 5.2 (the first with `Disposable` in its libs), 6.0 and 7.0. Installed
 * into the temporary folder, not the repository: several `typescript` copies in one node_modules
 * would fight over node_modules/.bin/tsc.
 */
const TYPESCRIPT = ["5.2.2", "5.3.3", "5.4.5", "5.5.4", "5.6.3", "5.7.3", "5.8.3", "5.9.3", "6.0.3", "7.0.2"];

function compilers(dir) {
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true }));
  const specs = TYPESCRIPT.map((v) => `ts-${v}@npm:typescript@${v}`);
  const r = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "--ignore-scripts", ...specs], { cwd: dir });
  if (r.status !== 0) throw new Error(`installing TypeScript ${TYPESCRIPT.join(", ")} failed:\n${r.output}`);
  return TYPESCRIPT.map((version) => ({ version, tsc: join(dir, "node_modules", `ts-${version}`, "bin", "tsc") }));
}

function writeConsumer(dir, pkgs) {
  const entries = pkgs.flatMap((p) =>
    Object.keys(p.json.exports ?? { ".": "" }).map((key) => {
      if (key.includes("*")) throw new Error(`${p.json.name}: pattern export ${key} needs a concrete entry in pack-test`);
      return { pkg: p.json.name, spec: key === "." ? p.json.name : `${p.json.name}/${key.slice(2)}`, json: key.endsWith(".json") };
    }),
  );
  const code = entries.filter((e) => !e.json);
  const json = entries.filter((e) => e.json);
  const list = JSON.stringify(code.map((e) => e.spec));
  // ESM: every code entry imports and exports something; core runs a nursery with one task.
  writeFileSync(
    join(dir, "consumer.mjs"),
    `import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
for (const spec of ${list}) {
  const ns = await import(spec);
  if (Object.keys(ns).length === 0) throw new Error(spec + " exports nothing");
}
for (const spec of ${JSON.stringify(json.map((e) => e.spec))}) {
  if (typeof require(spec).version !== "string") throw new Error(spec + " has no version");
}
const { nursery } = await import("@nursery/core");
const value = await nursery(async (n) => await n.spawn(async () => 42));
if (value !== 42) throw new Error("nursery did not run: " + value);
console.log("consumer.mjs: " + ${code.length} + " entries imported, " + ${json.length} + " package.json read, core ran");
`,
  );
  // CommonJS: require() of ESM, what engines promises (^20.19.0 || >=22.12.0).
  writeFileSync(
    join(dir, "consumer.cjs"),
    `for (const spec of ${list}) {
  const ns = require(spec);
  if (Object.keys(ns).length === 0) throw new Error(spec + " exports nothing");
}
console.log("consumer.cjs: " + ${code.length} + " entries required");
`,
  );
  writeFileSync(
    join(dir, "consumer.ts"),
    code.map((e, i) => `import * as entry${i} from "${e.spec}";`).join("\n") +
      `\nexport const entries: readonly object[] = [${code.map((_, i) => `entry${i}`).join(", ")}];\n` +
      `import { nursery } from "@nursery/core";\nexport const answer: Promise<number> = nursery(async () => 42);\n` +
      // A task's own context refuses to be awaited or returned (TaskContext.then): every version
      // must report both lines, or its @ts-expect-error fails the check.
      `import type { TaskContext } from "@nursery/core";\n` +
      `export async function awaitsItself(t: TaskContext): Promise<void> {\n` +
      `  // @ts-expect-error TS1320: awaiting the own context would wait for itself forever\n` +
      `  await t;\n}\n` +
      `// @ts-expect-error TS1058: returning the own context after an await would wait for itself forever\n` +
      `export const returnsItself = async (t: TaskContext) => { await null; return t; };\n` +
      `export const wrapsItself = async (t: TaskContext): Promise<{ task: TaskContext }> => { await null; return { task: t }; };\n`,
  );
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023", "ESNext.Disposable"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          types: ["node"],
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ["consumer.ts"],
      },
      null,
      2,
    ),
  );
  return entries.length;
}

async function main() {
  console.log(`pack-test in ${work}`);
  const build = run(bin("tsc"), ["-b"], { cwd: root });
  check("build (tsc -b)", build.status === 0, build.status === 0 ? "" : build.output);
  if (build.status !== 0) return;

  const pkgs = packages();
  const status = () => run("git", ["status", "--porcelain", "--", "packages"], { cwd: root }).output;
  const before = status();
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  console.log("\npackage               tarball    unpacked  files");
  for (const p of pkgs) {
    p.tarball = pack(p.dir, tarballs);
    console.log(`${p.json.name.padEnd(20)} ${kb(p.tarball.size).padStart(9)} ${kb(p.tarball.unpacked).padStart(10)} ${String(p.tarball.count).padStart(6)}`);
  }
  console.log("");
  const unchanged = status() === before;
  check("packing leaves packages/ as it was (git status)", unchanged, unchanged ? "" : status());

  for (const p of pkgs) {
    const content = extract(p.tarball.file, join(work, "extract", p.json.name));
    p.content = content;
    const broken = brokenLinks(join(content, "README.md"), content);
    check(`${p.json.name}: README links resolve inside the tarball`, broken.length === 0, broken.join(", "));
    const lint = await publint({ pkgDir: content, pack: false, strict: true });
    const lines = lint.messages.map((m) => `  ${m.type}: ${formatMessage(m, lint.pkg, { color: false })}`);
    check(`${p.json.name}: publint (strict)`, lint.messages.every((m) => m.type === "suggestion"),
      lint.messages.length === 0 ? "no messages" : `\n${lines.join("\n")}`);
    const attw = run(bin("attw"), [p.tarball.file, "--profile", "esm-only", "--format", "table-flipped", "--no-color", "--no-emoji"]);
    check(`${p.json.name}: attw (esm-only profile)`, attw.status === 0,
      attw.status === 0 ? attw.output.split("\n").find((l) => /No problems/i.test(l))?.trim() ?? "" : `\n${attw.output}`);
  }

  const project = join(work, "consumer");
  mkdirSync(project);
  const entryCount = writeConsumer(project, pkgs);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify(
      {
        name: "nursery-consumer",
        private: true,
        type: "module",
        dependencies: Object.fromEntries(pkgs.map((p) => [p.json.name, `file:${p.tarball.file}`])),
        devDependencies: { "@types/node": "^20.19.0" },
      },
      null,
      2,
    ),
  );
  const npmFlags = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];
  const install = run("npm", ["install", ...npmFlags], { cwd: project });
  check(`install ${pkgs.length} tarballs into a fresh project`, install.status === 0, install.status === 0 ? "" : install.output);
  if (install.status !== 0) return;
  const esm = run(process.execPath, ["consumer.mjs"], { cwd: project, timeout: 60_000 });
  check(`consumer imports all ${entryCount} entries and runs (ESM)`, esm.status === 0, esm.output.trim());
  const cjs = run(process.execPath, ["consumer.cjs"], { cwd: project, timeout: 60_000 });
  check(`consumer require()s every code entry on Node ${process.versions.node}`, cjs.status === 0, cjs.output.trim());
  for (const ts of compilers(join(work, "typescript"))) {
    const r = run(process.execPath, [ts.tsc, "-p", "tsconfig.json"], { cwd: project });
    check(`TypeScript ${ts.version} type-checks the consumer (skipLibCheck: false)`, r.status === 0, r.status === 0 ? "" : `\n${r.output}`);
  }

  // Upgrade core alone: the same contents as a patch release, installed over the others.
  const core = pkgs.find((p) => p.json.name === "@nursery/core");
  const bumped = extract(core.tarball.file, join(work, "core-patch"));
  const manifest = JSON.parse(readFileSync(join(bumped, "package.json"), "utf8"));
  const next = manifest.version.replace(/\d+$/, (n) => String(Number(n) + 1));
  manifest.version = next;
  writeFileSync(join(bumped, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  const patch = pack(bumped, tarballs, ["--ignore-scripts"]);
  const upgrade = run("npm", ["install", ...npmFlags, `@nursery/core@file:${patch.file}`], { cwd: project });
  const installed = JSON.parse(readFileSync(join(project, "node_modules", "@nursery", "core", "package.json"), "utf8")).version;
  check(`upgrade @nursery/core alone to ${next} (npm install, no ERESOLVE)`, upgrade.status === 0 && installed === next,
    upgrade.status === 0 ? `installed ${installed}` : upgrade.output);
  const after = run(process.execPath, ["consumer.mjs"], { cwd: project, timeout: 60_000 });
  check(`consumer runs against @nursery/core ${installed}`, after.status === 0, after.output.trim());
}

try {
  await main();
} catch (error) {
  check("pack-test ran to the end", false, error instanceof Error ? error.message : String(error));
} finally {
  if (!process.env.PACK_TEST_KEEP) rmSync(work, { recursive: true, force: true });
}
const failed = results.filter((r) => !r.ok).length;
console.log(`\npack-test took ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`pack-test: ${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
