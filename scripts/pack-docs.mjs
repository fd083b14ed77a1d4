#!/usr/bin/env node
// A package README links to pages of the repository's docs/ as `../../docs/...`, which is right on
// a checkout and broken inside a tarball. Run as a package's `prepack` (from its folder), this
// copies each linked page into the package's own docs/ folder (packed through `files`) and points
// the README's links at the copies; `postpack` (`--restore`) puts the README back and removes the
// copies. Only README links leave the package this way; a link to anything outside docs/ fails the
// pack, so a README never ships with a link that resolves nowhere. No public address is needed.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const pkg = process.cwd();
const repoDocs = resolve(pkg, "..", "..", "docs");
const readme = join(pkg, "README.md");
const saved = join(pkg, ".README.repo.md");
const copies = join(pkg, "docs");

function restore() {
  if (existsSync(saved)) renameSync(saved, readme);
  rmSync(copies, { recursive: true, force: true });
}

function prepare() {
  restore(); // a pack that stopped half-way leaves its copies behind: start from the checkout
  const text = readFileSync(readme, "utf8");
  const problems = [];
  // Inline links and images: ](target) or ](target#anchor), skipping absolute URLs and anchors.
  const rewritten = text.replace(/\]\(([^)\s]+)\)/g, (whole, target) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) return whole;
    const [path, anchor] = target.split("#", 2);
    const absolute = resolve(pkg, path);
    if (!relative(pkg, absolute).startsWith("..")) return whole; // already inside the package
    const inDocs = relative(repoDocs, absolute);
    if (inDocs.startsWith("..") || !existsSync(absolute) || statSync(absolute).isDirectory()) {
      problems.push(target);
      return whole;
    }
    mkdirSync(dirname(join(copies, inDocs)), { recursive: true });
    cpSync(absolute, join(copies, inDocs));
    return `](./docs/${inDocs.split("\\").join("/")}${anchor === undefined ? "" : `#${anchor}`})`;
  });
  if (problems.length > 0) {
    rmSync(copies, { recursive: true, force: true });
    console.error(`README.md links outside the package to what cannot be packed (a file under docs/ only): ${problems.join(", ")}`);
    process.exit(1);
  }
  if (rewritten !== text) {
    renameSync(readme, saved);
    writeFileSync(readme, rewritten);
  }
}

if (process.argv.includes("--restore")) restore();
else prepare();
