#!/usr/bin/env node
// `npm run release`: a dry run of the release, changing nothing in the checkout. In a copy of the
// working tree under os.tmpdir() it runs `changeset version` (pending .changeset/*.md become
// version bumps and CHANGELOG entries), prints each package's version before and after and its new
// CHANGELOG section, then `npm publish --dry-run` for every packages/*/package.json that is not
// private. The real release is the same two steps in the checkout, `--publish` (see
// docs/guide/releasing.md): `changeset version`, commit, `changeset publish`.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const changeset = join(root, "node_modules", "@changesets", "cli", "bin.js");

function run(command, args, cwd, timeout = 5 * 60_000) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout, maxBuffer: 64 << 20 });
  return { status: r.error ? -1 : (r.status ?? -1), output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error?.message ?? ""}` };
}

function must(command, args, cwd) {
  const r = run(command, args, cwd);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${r.output}`);
  return r.output;
}

const packages = (base) =>
  readdirSync(join(base, "packages"))
    .filter((name) => existsSync(join(base, "packages", name, "package.json")))
    .map((name) => ({ dir: join(base, "packages", name), json: JSON.parse(readFileSync(join(base, "packages", name, "package.json"), "utf8")) }))
    .filter((p) => p.json.private !== true);

if (process.argv.includes("--publish")) {
  // The real thing, for a maintainer with registry credentials, after `changeset version` was committed.
  must(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b"], root);
  const r = spawnSync(process.execPath, [changeset, "publish"], { cwd: root, stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const status = () => must("git", ["status", "--porcelain"], root);
const before = status();
const copy = mkdtempSync(join(tmpdir(), "nursery-release-"));
try {
  must(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b"], root);
  // The working tree as it is (committed or not, ignored files left out), plus the built dist/.
  const files = must("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], root).split("\0").filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(root, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  for (const p of packages(root)) cpSync(join(p.dir, "dist"), join(copy, "packages", p.dir.split(/[\\/]/).pop(), "dist"), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"), "dir");

  const versions = new Map(packages(copy).map((p) => [p.json.name, p.json.version]));
  const pending = readdirSync(join(copy, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md");
  console.log(`release (dry run) in ${copy}: ${pending.length} pending changeset(s)`);
  if (pending.length > 0) {
    // `changeset status` needs git history against main; the copy has none, so the versions
    // before and after below are the status.
    must(process.execPath, [changeset, "version"], copy);
  }
  let publishable = 0;
  for (const p of packages(copy)) {
    const was = versions.get(p.json.name);
    const changelog = readFileSync(join(p.dir, "CHANGELOG.md"), "utf8");
    const section = changelog.slice(changelog.indexOf("\n## ")).split(/\n(?=## )/)[1] ?? "";
    console.log(`\n${p.json.name}: ${was === p.json.version ? `${was} (unchanged)` : `${was} -> ${p.json.version}`}`);
    if (was !== p.json.version) console.log(section.trim().split("\n").map((l) => `  | ${l}`).join("\n"));
    const r = run("npm", ["publish", "--dry-run", "--access", "public", "--loglevel", "notice"], p.dir);
    const summary = r.output.split("\n").filter((l) => /name:|version:|package size:|total files:/.test(l)).map((l) => l.replace(/^npm notice\s*/, "").trim());
    console.log(`  npm publish --dry-run: ${r.status === 0 ? "ok" : "FAILED"} (${summary.join(", ")})`);
    if (r.status !== 0) {
      console.log(r.output);
      process.exitCode = 1;
    } else publishable += 1;
  }
  const unchanged = status() === before;
  console.log(`\nrelease (dry run): ${publishable} package(s) would publish; the checkout is ${unchanged ? "unchanged" : "CHANGED"}`);
  if (!unchanged) process.exitCode = 1;
} finally {
  rmSync(copy, { recursive: true, force: true });
}
