// The metadata every published package must carry, checked for each packages/*/package.json, so
// a package added later is held to the same rules. Shared fields (license, engines, repository,
// homepage, bugs) and LICENSE come from the root: scripts/package-metadata.mjs writes them.
import { describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  exports?: Record<string, unknown>;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;

const packages = readdirSync(join(root, "packages"))
  .map((folder) => join(root, "packages", folder))
  .filter((dir) => existsSync(join(dir, "package.json")))
  .map((dir) => ({ dir, json: manifest(dir) }))
  .filter((p) => p.json.private !== true);

const versions = new Map(packages.map((p) => [p.json.name, p.json.version]));

const packed = new Map<string, string[]>();

/** The files `npm pack` would put in the tarball (no scripts run, nothing written). */
function packedFiles(dir: string): string[] {
  const known = packed.get(dir);
  if (known !== undefined) return known;
  const result = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: dir, encoding: "utf8" });
  expect(result.status).toBe(0);
  const [entry] = JSON.parse(result.stdout) as [{ files: { path: string }[] }];
  const files = entry.files.map((f) => f.path);
  packed.set(dir, files);
  return files;
}

describe("package metadata", () => {
  it("finds the workspace packages", () => {
    expect(packages.length).toBeGreaterThanOrEqual(6);
  });

  it("matches the shared fields and LICENSE of the root (scripts/package-metadata.mjs --check)", () => {
    const result = spawnSync(process.execPath, [join(root, "scripts", "package-metadata.mjs"), "--check"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
  });

  describe.each(packages.map((p) => [p.json.name, p] as const))("%s", (_name, { dir, json }) => {
    it("is native ESM with `./package.json` among its exports", () => {
      expect(json.type).toBe("module");
      expect(Object.keys(json.exports ?? {})).toContain("./package.json");
      expect(json.exports?.["./package.json"]).toBe("./package.json");
    });

    it("depends on sibling packages through caret ranges of their current versions, not pins", () => {
      const ranges = { ...json.dependencies, ...json.peerDependencies };
      for (const [dep, range] of Object.entries(ranges)) {
        const current = versions.get(dep);
        if (current !== undefined) expect(`${dep}@${range}`).toBe(`${dep}@^${current}`);
      }
    });

    it("has a CHANGELOG headed by its name, where `changeset version` adds each release", () => {
      const changelog = readFileSync(join(dir, "CHANGELOG.md"), "utf8");
      expect(changelog.startsWith(`# ${json.name}\n\n## ${json.version}`) || changelog.startsWith(`# ${json.name}\n\n## `)).toBe(true);
    });

    it("packs README, LICENSE and CHANGELOG and no build info", () => {
      expect(existsSync(join(dir, "CHANGELOG.md"))).toBe(true);
      const files = packedFiles(dir);
      expect(files).toEqual(expect.arrayContaining(["README.md", "LICENSE", "CHANGELOG.md", "package.json"]));
      expect(files.filter((f) => f.endsWith(".tsbuildinfo"))).toEqual([]);
    });

    it("packs the file behind every `exports` target (each subpath's types and code)", () => {
      const files = new Set(packedFiles(dir));
      const targets: string[] = [];
      const collect = (value: unknown): void => {
        if (typeof value === "string") targets.push(value.replace(/^\.\//, ""));
        else if (typeof value === "object" && value !== null) Object.values(value).forEach(collect);
      };
      collect(json.exports);
      expect(targets.length).toBeGreaterThan(0);
      expect(targets.filter((target) => !files.has(target))).toEqual([]);
    });

    it("declares @types/node as an optional peer when its declarations name Node types", () => {
      const nodeTypes = packedFiles(dir)
        .filter((f) => f.endsWith(".d.ts"))
        .filter((f) => /\bNodeJS\.|from "node:|import\("node:|reference types="node"/.test(readFileSync(join(dir, f), "utf8")));
      if (nodeTypes.length === 0) return;
      expect(json.peerDependencies?.["@types/node"]).toBe(">=20");
      expect(json.peerDependenciesMeta?.["@types/node"]?.optional).toBe(true);
    });
  });
});
