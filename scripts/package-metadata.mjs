#!/usr/bin/env node
// One place for the metadata every published package shares: `packageDefaults` in the root
// package.json (license, engines, and repository/homepage/bugs once the repository has a public
// address) and the root LICENSE. This script writes them into every packages/*/package.json and
// copies LICENSE beside it, and gives every package the fields that make its tarball complete
// (`./package.json` export, `files` with CHANGELOG.md and packed docs but no build info, the
// prepack/postpack pair of scripts/pack-docs.mjs, caret ranges on sibling packages).
// examples/test/package-metadata.test.ts fails when a package differs.
//
//   node scripts/package-metadata.mjs          write the shared fields and LICENSE into each package
//   node scripts/package-metadata.mjs --check  print what differs, exit 1 if anything does
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");

/** What `files` must be: the build without its build info, the sources (for source maps), docs. */
export const FILES = ["dist", "!dist/.tsbuildinfo", "!dist/.test.tsbuildinfo", "src", "CHANGELOG.md", "docs"];
export const SCRIPTS = { prepack: "node ../../scripts/pack-docs.mjs", postpack: "node ../../scripts/pack-docs.mjs --restore" };

/** Every publishable workspace package: packages/<dir>/package.json without `private`. */
export function publishedPackages() {
  const dir = join(root, "packages");
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "package.json")))
    .map((name) => ({ dir: join(dir, name), folder: `packages/${name}`, json: readJson(join(dir, name, "package.json")) }))
    .filter((p) => p.json.private !== true);
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** The shared fields a package must carry, derived from the root package.json. */
export function expectedFields(folder) {
  const defaults = readJson(join(root, "package.json")).packageDefaults ?? {};
  const out = { license: defaults.license, engines: defaults.engines };
  // No public address yet: the three fields stay absent until packageDefaults has them.
  if (defaults.repository !== undefined) out.repository = { ...defaults.repository, directory: folder };
  if (defaults.homepage !== undefined) out.homepage = defaults.homepage;
  if (defaults.bugs !== undefined) out.bugs = defaults.bugs;
  return out;
}

function main() {
  const license = readFileSync(join(root, "LICENSE"), "utf8");
  const problems = [];
  const all = publishedPackages();
  const versions = new Map(all.map((p) => [p.json.name, p.json.version]));
  for (const pkg of all) {
    const want = expectedFields(pkg.folder);
    const json = { ...pkg.json };
    for (const key of ["license", "engines", "repository", "homepage", "bugs"]) {
      const value = want[key];
      if (JSON.stringify(json[key]) === JSON.stringify(value)) continue;
      problems.push(`${pkg.folder}/package.json: ${key} is ${JSON.stringify(json[key])}, expected ${JSON.stringify(value)}`);
      if (value === undefined) delete json[key];
      else json[key] = value;
    }
    if (json.exports !== undefined && json.exports["./package.json"] !== "./package.json") {
      problems.push(`${pkg.folder}/package.json: exports has no "./package.json"`);
      json.exports = { ...json.exports, "./package.json": "./package.json" };
    }
    if (JSON.stringify(json.files) !== JSON.stringify(FILES)) {
      problems.push(`${pkg.folder}/package.json: files is ${JSON.stringify(json.files)}, expected ${JSON.stringify(FILES)}`);
      json.files = FILES;
    }
    for (const [name, command] of Object.entries(SCRIPTS)) {
      if (json.scripts?.[name] === command) continue;
      problems.push(`${pkg.folder}/package.json: scripts.${name} is not ${JSON.stringify(command)}`);
      json.scripts = { ...json.scripts, [name]: command };
    }
    for (const field of ["dependencies", "peerDependencies"]) {
      for (const [dep, range] of Object.entries(json[field] ?? {})) {
        const sibling = versions.get(dep);
        if (sibling === undefined || range === `^${sibling}`) continue;
        problems.push(`${pkg.folder}/package.json: ${field}.${dep} is ${range}, expected ^${sibling}`);
        json[field] = { ...json[field], [dep]: `^${sibling}` };
      }
    }
    if (!existsSync(join(pkg.dir, "CHANGELOG.md"))) problems.push(`${pkg.folder}/CHANGELOG.md is missing (write its first entry by hand)`);
    const licensePath = join(pkg.dir, "LICENSE");
    if (!existsSync(licensePath) || readFileSync(licensePath, "utf8") !== license) {
      problems.push(`${pkg.folder}/LICENSE differs from the root LICENSE`);
      if (!check) writeFileSync(licensePath, license);
    }
    if (!check) writeFileSync(join(pkg.dir, "package.json"), JSON.stringify(json, null, 2) + "\n");
  }
  for (const p of problems) console.log((check ? "differs: " : "updated: ") + p);
  if (check && problems.length > 0) {
    console.log("run `node scripts/package-metadata.mjs` to write the shared fields");
    process.exitCode = 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
